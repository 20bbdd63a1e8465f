package airbench.data;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.atomic.AtomicInteger;

/** An HTTP server on 127.0.0.1 that serves one file, for download tests. */
final class LocalServer implements AutoCloseable {
    private final HttpServer server;
    final AtomicInteger requests = new AtomicInteger();

    /**
     * @param body       the bytes to serve
     * @param status     the HTTP status to answer
     * @param sendBytes  how many of the bytes to actually send (fewer than the announced length simulates a cut connection)
     */
    private LocalServer(byte[] body, int status, int sendBytes) throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            requests.incrementAndGet();
            exchange.sendResponseHeaders(status, status == 200 ? body.length : -1);
            try (OutputStream out = exchange.getResponseBody()) {
                if (status == 200) {
                    out.write(body, 0, sendBytes);
                }
            }
        });
        server.start();
    }

    static LocalServer serving(byte[] body) throws IOException {
        return new LocalServer(body, 200, body.length);
    }

    static LocalServer answering(int status) throws IOException {
        return new LocalServer(new byte[0], status, 0);
    }

    static LocalServer cuttingOff(byte[] body, int sendBytes) throws IOException {
        return new LocalServer(body, 200, sendBytes);
    }

    URI url(String file) {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/" + file);
    }

    @Override
    public void close() {
        server.stop(0);
    }

    /** A URL on 127.0.0.1 where nothing listens: the port was free a moment ago. */
    static URI unreachable() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return URI.create("http://127.0.0.1:" + socket.getLocalPort() + "/cifar-10-binary.tar.gz");
        }
    }

    static String md5(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}

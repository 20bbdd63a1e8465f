package airbench.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DownloaderTest {
    @TempDir
    Path cache;

    private static final byte[] PAYLOAD = "pretend archive bytes".repeat(5_000).getBytes();

    private List<Path> cacheContents() throws IOException {
        try (Stream<Path> files = Files.list(cache)) {
            return files.toList();
        }
    }

    @Test
    void downloadsChecksAndRenamesIntoTheCache() throws IOException {
        try (LocalServer server = LocalServer.serving(PAYLOAD)) {
            Downloader downloader = Downloader.from(server.url("c.tar.gz"), LocalServer.md5(PAYLOAD));

            Path archive = downloader.download(CifarVariant.CIFAR10, cache.resolve("sub"));

            assertEquals(cache.resolve("sub").resolve("cifar-10-binary.tar.gz"), archive);
            assertArrayEquals(PAYLOAD, Files.readAllBytes(archive));
            try (Stream<Path> files = Files.list(cache.resolve("sub"))) {
                assertEquals(List.of(archive), files.toList(), "no temporary file may remain");
            }
        }
    }

    @Test
    void aWrongMd5DeletesThePartialFileAndSaysSo() throws IOException {
        String wrong = "0123456789abcdef0123456789abcdef";
        try (LocalServer server = LocalServer.serving(PAYLOAD)) {
            Downloader downloader = Downloader.from(server.url("c.tar.gz"), wrong);

            DataException e = assertThrows(DataException.class, () -> downloader.download(CifarVariant.CIFAR10, cache));

            String message = e.getMessage();
            String prefix = "the file downloaded from " + server.url("c.tar.gz") + " has MD5 "
                    + LocalServer.md5(PAYLOAD) + ", expected " + wrong + "; deleted the partial file " + cache + "/";
            assertTrue(message.startsWith(prefix), message);
            assertTrue(message.endsWith(".part. The download was corrupted or the server sent another file: try"
                    + " again, or download cifar-10-binary.tar.gz by other means and pass it with --data-dir."),
                    message);
            assertEquals(List.of(), cacheContents(), "the partial file must be deleted");
        }
    }

    @Test
    void anHttpErrorLeavesNothingBehind() throws IOException {
        try (LocalServer server = LocalServer.answering(404)) {
            Downloader downloader = Downloader.from(server.url("c.tar.gz"), LocalServer.md5(PAYLOAD));

            DataException e = assertThrows(DataException.class, () -> downloader.download(CifarVariant.CIFAR10, cache));

            assertTrue(e.getMessage().startsWith("downloading " + server.url("c.tar.gz")
                    + " failed (java.io.IOException: the server answered HTTP 404 Not Found); deleted the partial file "),
                    e.getMessage());
            assertEquals(List.of(), cacheContents());
        }
    }

    @Test
    void aCutConnectionLeavesNothingBehind() throws IOException {
        try (LocalServer server = LocalServer.cuttingOff(PAYLOAD, 1000)) {
            Downloader downloader = Downloader.from(server.url("c.tar.gz"), LocalServer.md5(PAYLOAD));

            DataException e = assertThrows(DataException.class, () -> downloader.download(CifarVariant.CIFAR10, cache));

            assertTrue(e.getMessage().startsWith("downloading " + server.url("c.tar.gz") + " failed ("),
                    e.getMessage());
            assertEquals(List.of(), cacheContents());
        }
    }

    @Test
    void anUnreachableServerFailsWithTheUrl() throws IOException {
        Downloader downloader = Downloader.from(LocalServer.unreachable(), LocalServer.md5(PAYLOAD));

        DataException e = assertThrows(DataException.class, () -> downloader.download(CifarVariant.CIFAR100, cache));

        assertTrue(e.getMessage().contains("ConnectException"), e.getMessage());
        assertEquals(List.of(), cacheContents());
    }

    @Test
    void aDisabledDownloaderRefuses() {
        DataException e = assertThrows(DataException.class,
                () -> Downloader.disabled("--offline").download(CifarVariant.CIFAR10, cache));
        assertEquals("downloading is disabled (--offline)", e.getMessage());
    }

    @Test
    void officialDownloaderUsesTheOfficialAddress() {
        assertEquals("download of https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz",
                Downloader.official().describe(CifarVariant.CIFAR100));
    }

    @Test
    void progressShowsPercentAndMegabytes() {
        assertEquals("25% (42.5 of 170.0 MB)", Downloader.progress(42_500_000, 170_000_000));
        assertEquals("3.2 MB", Downloader.progress(3_200_000, -1));
    }

    @Test
    void rejectsAMalformedMd5() {
        assertThrows(IllegalArgumentException.class, () -> new Downloader.Remote(CifarVariant.CIFAR10.officialUrl(), "abc"));
    }
}

package airbench.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Function;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Downloads a CIFAR archive into the cache folder. The file is streamed to a
 * temporary file next to its final name, its MD5 checked, and only then renamed
 * (atomically where the file system allows), so the cache never holds a partial
 * or corrupt archive under the official name.
 */
public final class Downloader {
    private static final Logger LOG = LogManager.getLogger(Downloader.class);
    private static final int CONNECT_TIMEOUT_MS = 30_000;
    /** A stalled transfer fails after this long instead of hanging the run. */
    private static final int READ_TIMEOUT_MS = 60_000;
    private static final long PROGRESS_INTERVAL_NANOS = 3_000_000_000L;

    /** Where to fetch a variant from and the MD5 the file must have. */
    public record Remote(URI url, String md5) {
        public Remote {
            Objects.requireNonNull(url, "url");
            if (md5 == null || !md5.matches("[0-9a-fA-F]{32}")) {
                throw new IllegalArgumentException("MD5 must be 32 hex digits, got " + md5);
            }
        }
    }

    private final Function<CifarVariant, Remote> remotes;
    private final String disabledReason;

    private Downloader(Function<CifarVariant, Remote> remotes, String disabledReason) {
        this.remotes = remotes;
        this.disabledReason = disabledReason;
    }

    /** Downloads from the official site and checks the official MD5. */
    public static Downloader official() {
        return new Downloader(variant -> new Remote(variant.officialUrl(), variant.officialMd5()), null);
    }

    /** Downloads every variant from {@code url} and checks {@code md5} (a mirror, or a local server in tests). */
    public static Downloader from(URI url, String md5) {
        Remote remote = new Remote(url, md5);
        return new Downloader(variant -> remote, null);
    }

    /** Never downloads; {@link #download} fails with {@code reason} (for offline runs). */
    public static Downloader disabled(String reason) {
        return new Downloader(null, Objects.requireNonNull(reason, "reason"));
    }

    /** What {@link #download} would do, for messages: the URL, or why downloading is off. */
    public String describe(CifarVariant variant) {
        return disabledReason != null ? "downloading is disabled (" + disabledReason + ")"
                : "download of " + remotes.apply(variant).url();
    }

    /**
     * Downloads the archive of {@code variant} into {@code cacheFolder} (created if
     * needed) and returns its path, {@code cacheFolder/archiveFileName()}.
     *
     * @throws DataException if the download fails or the MD5 does not match; no partial file is left behind
     */
    public Path download(CifarVariant variant, Path cacheFolder) {
        if (disabledReason != null) {
            throw new DataException("downloading is disabled (" + disabledReason + ")");
        }
        Remote remote = remotes.apply(variant);
        Path target = cacheFolder.resolve(variant.archiveFileName());
        Path part;
        try {
            Files.createDirectories(cacheFolder);
            part = Files.createTempFile(cacheFolder, variant.archiveFileName() + ".", ".part");
        } catch (IOException e) {
            throw new DataException("could not create a file in the cache folder " + cacheFolder + " (" + e
                    + "); make it writable or choose another folder.", e);
        }
        boolean moved = false;
        try {
            LOG.info("Downloading {} from {} to {}", variant.displayName(), remote.url(), target);
            String md5 = fetch(remote.url(), part, variant.displayName());
            if (!md5.equalsIgnoreCase(remote.md5())) {
                throw new DataException("the file downloaded from " + remote.url() + " has MD5 " + md5 + ", expected "
                        + remote.md5().toLowerCase(Locale.ROOT) + "; " + discard(part)
                        + ". The download was corrupted or the server sent another file: try again, or download "
                        + variant.archiveFileName() + " by other means and pass it with --data-dir.");
            }
            moveIntoPlace(part, target);
            moved = true;
            return target;
        } catch (IOException e) {
            throw new DataException("downloading " + remote.url() + " failed (" + e + "); " + discard(part) + ".", e);
        } finally {
            if (!moved) {
                // Also covers errors that are not IOExceptions, e.g. an interrupt.
                discard(part);
            }
        }
    }

    /** Streams {@code url} into {@code file} with progress in the log; returns the MD5 of what was written. */
    private static String fetch(URI url, Path file, String what) throws IOException {
        HttpURLConnection connection = (HttpURLConnection) url.toURL().openConnection();
        connection.setConnectTimeout(CONNECT_TIMEOUT_MS);
        connection.setReadTimeout(READ_TIMEOUT_MS);
        connection.setInstanceFollowRedirects(true);
        try {
            int status = connection.getResponseCode();
            if (status != HttpURLConnection.HTTP_OK) {
                throw new IOException("the server answered HTTP " + status + " " + connection.getResponseMessage());
            }
            long total = connection.getContentLengthLong();
            MessageDigest md5 = newMd5();
            long start = System.nanoTime();
            long lastReport = start;
            long written = 0;
            byte[] buffer = new byte[1 << 16];
            try (InputStream in = connection.getInputStream(); OutputStream out = Files.newOutputStream(file)) {
                for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                    out.write(buffer, 0, n);
                    md5.update(buffer, 0, n);
                    written += n;
                    long now = System.nanoTime();
                    if (now - lastReport >= PROGRESS_INTERVAL_NANOS) {
                        lastReport = now;
                        LOG.info("Downloading {}: {}", what, progress(written, total));
                    }
                }
            }
            if (total >= 0 && written != total) {
                throw new IOException("the connection closed after " + written + " of " + total + " bytes");
            }
            LOG.info("Downloaded {}: {} in {} s", what, progress(written, total),
                    String.format(Locale.ROOT, "%.1f", (System.nanoTime() - start) / 1e9));
            return HexFormat.of().formatHex(md5.digest());
        } finally {
            connection.disconnect();
        }
    }

    static String progress(long written, long total) {
        double mb = written / 1e6;
        if (total <= 0) {
            return String.format(Locale.ROOT, "%.1f MB", mb);
        }
        return String.format(Locale.ROOT, "%.0f%% (%.1f of %.1f MB)", 100.0 * written / total, mb, total / 1e6);
    }

    private static void moveIntoPlace(Path part, Path target) throws IOException {
        try {
            Files.move(part, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(part, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Deletes the partial file and says so, for the error message. */
    private static String discard(Path part) {
        try {
            Files.deleteIfExists(part);
            return "deleted the partial file " + part;
        } catch (IOException e) {
            return "could not delete the partial file " + part + " (" + e + "), delete it by hand";
        }
    }

    private static MessageDigest newMd5() {
        try {
            return MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime must provide MD5", e);
        }
    }
}

package airbench.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Finds the CIFAR data to read. Resolution order:
 * <ol>
 *   <li>the explicit path (option {@code --data-dir}): a file is taken as the archive, a folder
 *       must hold the extracted files (directly or in the archive's subfolder) or the archive;</li>
 *   <li>the environment variable {@value #ENVIRONMENT_VARIABLE}, with the same meaning;</li>
 *   <li>the default cache folder ({@link #defaultCache()});</li>
 *   <li>the caller's fallback folders, in order (the CLI passes the repository's {@code ../shared/data});</li>
 *   <li>a download of the official archive into the default cache.</li>
 * </ol>
 * A path the user names (1 and 2) that does not exist or holds no data is an
 * error rather than a reason to move on: silently training on some other copy
 * would hide the typo.
 */
public final class DataLocator {
    public static final String ENVIRONMENT_VARIABLE = "AIRBENCH_DATA";
    /**
     * System property naming further folders to look in before downloading, separated by the
     * platform's path separator. This project's Maven build sets it to the repository's
     * {@code ../shared/data} for {@code mvn exec:java} and the tests.
     */
    public static final String FALLBACK_PROPERTY = "airbench.data.fallback";
    private static final Logger LOG = LogManager.getLogger(DataLocator.class);

    private DataLocator() {}

    /** {@code ~/.cache/airbench}. */
    public static Path defaultCache() {
        return Path.of(System.getProperty("user.home"), ".cache", "airbench");
    }

    /**
     * {@link #locate(CifarVariant, Optional, Map, Path, List, Downloader) locate} in the standard places:
     * {@code explicit}, {@value #ENVIRONMENT_VARIABLE}, {@link #defaultCache()}, the folders of the
     * system property {@value #FALLBACK_PROPERTY}, then a download of the official archive.
     */
    public static Path locate(CifarVariant variant, Optional<Path> explicit) {
        List<Path> fallbacks = new ArrayList<>();
        String property = System.getProperty(FALLBACK_PROPERTY);
        if (property != null) {
            for (String folder : property.split(java.io.File.pathSeparator)) {
                if (!folder.isBlank()) {
                    fallbacks.add(Path.of(folder).toAbsolutePath().normalize());
                }
            }
        }
        return locate(variant, explicit, System.getenv(), defaultCache(), fallbacks, Downloader.official());
    }

    /**
     * Returns the archive or the folder of extracted files to pass to {@link CifarReader#read}.
     *
     * @param explicit    the {@code --data-dir} option, if given
     * @param environment the process environment (a parameter so tests can supply their own)
     * @param fallbacks   further folders to look in before downloading
     * @throws DataException naming every place looked at and how to provide the data
     */
    public static Path locate(CifarVariant variant, Optional<Path> explicit, Map<String, String> environment,
                              Path defaultCache, List<Path> fallbacks, Downloader downloader) {
        if (explicit.isPresent()) {
            return found(variant, userPath(explicit.get(), "--data-dir " + explicit.get(), variant), "--data-dir");
        }
        List<String> lookedAt = new ArrayList<>();
        lookedAt.add("--data-dir: not given");
        String fromEnvironment = environment.get(ENVIRONMENT_VARIABLE);
        if (fromEnvironment != null && !fromEnvironment.isBlank()) {
            Path path = Path.of(fromEnvironment);
            return found(variant, userPath(path, ENVIRONMENT_VARIABLE + "=" + fromEnvironment, variant),
                    ENVIRONMENT_VARIABLE);
        }
        lookedAt.add(ENVIRONMENT_VARIABLE + ": not set");

        List<Path> folders = new ArrayList<>();
        folders.add(defaultCache);
        folders.addAll(fallbacks);
        for (Path folder : folders) {
            Optional<Path> source = CifarSources.find(folder, variant);
            if (source.isPresent()) {
                return found(variant, source.get(), folder.equals(defaultCache) ? "the default cache" : "a fallback folder");
            }
            lookedAt.add(folder + ": " + (Files.isDirectory(folder) ? "no " + CifarSources.expectedContents(variant)
                    : "does not exist"));
        }

        try {
            return found(variant, downloader.download(variant, defaultCache), "a download");
        } catch (DataException e) {
            throw new DataException(variant.displayName() + " data not found, and it could not be downloaded.\n"
                    + "Looked at:\n  " + String.join("\n  ", lookedAt) + "\n"
                    + "Then tried the " + downloader.describe(variant) + " into " + defaultCache + ": "
                    + e.getMessage() + "\n"
                    + "Provide the data in one of these ways: pass --data-dir <" + variant.archiveFileName()
                    + ", or a folder holding it or its extracted files>; set " + ENVIRONMENT_VARIABLE
                    + " to such a path; or copy " + variant.archiveFileName() + " into " + defaultCache + ".", e);
        }
    }

    /** A path the user named: a file is taken as the archive, a folder must hold data. */
    private static Path userPath(Path path, String given, CifarVariant variant) {
        if (Files.isRegularFile(path)) {
            return path;
        }
        if (Files.isDirectory(path)) {
            return CifarSources.require(path, variant);
        }
        throw new DataException(given + ": the path does not exist. Point it at " + variant.archiveFileName()
                + " or at the folder holding it or its extracted files.");
    }

    private static Path found(CifarVariant variant, Path source, String how) {
        LOG.info("Using {} data from {} (found via {})", variant.displayName(), source, how);
        return source;
    }
}

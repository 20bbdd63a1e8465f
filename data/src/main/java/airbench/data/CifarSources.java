package airbench.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Where inside a folder the data of a variant is: the extracted files directly
 * in it, the extracted files in the archive's own subfolder, or the archive.
 * Shared by the reader and the locator so both accept the same folders.
 */
final class CifarSources {
    private CifarSources() {}

    /**
     * The best source in {@code folder}: complete extracted files first (fastest to
     * read), then the archive, then incomplete extracted files (so that the reader
     * can name what is missing rather than the locator silently moving on).
     */
    static Optional<Path> find(Path folder, CifarVariant variant) {
        if (!Files.isDirectory(folder)) {
            return Optional.empty();
        }
        Path sub = folder.resolve(variant.folderName());
        Path archive = folder.resolve(variant.archiveFileName());
        for (Path candidate : List.of(folder, sub)) {
            if (missingFiles(candidate, variant).isEmpty()) {
                return Optional.of(candidate);
            }
        }
        if (Files.isRegularFile(archive)) {
            return Optional.of(archive);
        }
        for (Path candidate : List.of(folder, sub)) {
            if (Files.isDirectory(candidate) && missingFiles(candidate, variant).size() < variant.dataFiles().size()) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /**
     * Like {@link #find} but refuses a folder without data, recognizing a folder of
     * the other variant (the common mix-up) by name.
     */
    static Path require(Path folder, CifarVariant variant) {
        return find(folder, variant).orElseThrow(() -> {
            CifarVariant other = variant.other();
            if (find(folder, other).isPresent()) {
                return new DataException(folder + ": holds " + other.displayName() + " files instead of "
                        + variant.displayName() + " files; this looks like " + other.displayName() + ", not "
                        + variant.displayName() + ". Choose the " + other.displayName() + " dataset (--dataset "
                        + other.id() + "), or point to a folder with " + expectedContents(variant) + ".");
            }
            return new DataException(folder + ": holds no " + variant.displayName() + " data (expected "
                    + expectedContents(variant) + "). Point --data-dir at " + variant.archiveFileName()
                    + " or at the folder holding the extracted files.");
        });
    }

    /** The data files of {@code variant} that {@code folder} lacks (all of them if it is no folder). */
    static List<String> missingFiles(Path folder, CifarVariant variant) {
        return variant.dataFiles().stream().filter(name -> !Files.isRegularFile(folder.resolve(name))).toList();
    }

    /** Human-readable list of what a folder must hold, for messages. */
    static String expectedContents(CifarVariant variant) {
        return variant.archiveFileName() + " or the extracted files (" + String.join(", ", variant.dataFiles())
                + ") directly or in " + variant.folderName() + "/";
    }
}

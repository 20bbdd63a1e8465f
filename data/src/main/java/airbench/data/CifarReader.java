package airbench.data;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Reads the official CIFAR "binary version" files, from the .tar.gz archive
 * (streamed, never unpacked to disk) or from a folder holding the extracted
 * files. Every file is checked (whole records, record count, label range) so
 * that a damaged copy fails loudly instead of training on partial data.
 */
public final class CifarReader {
    private static final Logger LOG = LogManager.getLogger(CifarReader.class);
    private static final int PLANE = CifarDataset.HEIGHT * CifarDataset.WIDTH;

    private CifarReader() {}

    /**
     * Reads both splits with the official record counts.
     *
     * @param source the .tar.gz archive, or a folder holding the extracted files (directly or in
     *               {@link CifarVariant#folderName()}) or the archive
     */
    public static CifarData read(Path source, CifarVariant variant) {
        return read(source, variant, variant.officialCounts());
    }

    /** Reads both splits, requiring {@code counts} records per file (tests use small files). */
    public static CifarData read(Path source, CifarVariant variant, RecordCounts counts) {
        return read(source, DatasetChoice.of(variant, LabelSet.FINE), counts);
    }

    /**
     * Reads both splits of the chosen dataset with the official record counts; the splits' labels
     * and class names are the chosen ones (CIFAR-100's coarse labels with {@link DatasetChoice#CIFAR100_COARSE}).
     */
    public static CifarData read(Path source, DatasetChoice dataset) {
        return read(source, dataset, dataset.variant().officialCounts());
    }

    /**
     * Reads both splits of the chosen dataset, requiring {@code counts} records per file.
     *
     * <p>Class names come from the dataset's names file where the data carries it (CIFAR-10's
     * batches.meta.txt, CIFAR-100's fine_label_names.txt or coarse_label_names.txt, beside the data
     * files or in the archive); otherwise from the official lists built into this module, which are
     * those files' contents. A names file with the wrong number of names is refused.
     */
    public static CifarData read(Path source, DatasetChoice dataset, RecordCounts counts) {
        CifarVariant variant = dataset.variant();
        long start = System.nanoTime();
        Path resolved = Files.isDirectory(source) ? CifarSources.require(source, variant) : source;
        if (!Files.isRegularFile(resolved) && !Files.isDirectory(resolved)) {
            throw new DataException(source + " does not exist. Point --data-dir (or AIRBENCH_DATA) at "
                    + variant.archiveFileName() + " or at the folder holding the extracted " + variant.displayName()
                    + " files.");
        }
        CifarData data = Files.isDirectory(resolved)
                ? readFolder(resolved, dataset, counts)
                : readArchive(resolved, dataset, counts);
        LOG.info("Read {} from {} in {} s: {} training and {} test images", dataset.displayName(), resolved,
                String.format(Locale.ROOT, "%.1f", (System.nanoTime() - start) / 1e9), data.train().size(), data.test().size());
        return data;
    }

    private static CifarData readFolder(Path folder, DatasetChoice dataset, RecordCounts counts) {
        CifarVariant variant = dataset.variant();
        List<String> missing = CifarSources.missingFiles(folder, variant);
        if (!missing.isEmpty()) {
            List<String> foreign = variant.other().dataFiles().stream()
                    .filter(name -> Files.isRegularFile(folder.resolve(name))).toList();
            if (!foreign.isEmpty()) {
                throw looksLikeOther(folder.toString(), variant, foreign);
            }
            throw new DataException(folder + ": missing " + String.join(", ", missing) + " of the extracted "
                    + variant.displayName() + " files. Extract " + variant.archiveFileName()
                    + " again, or point --data-dir at the archive itself.");
        }
        String remedy = "extract it again from " + variant.archiveFileName()
                + " or point --data-dir at the archive itself";
        Splits splits = new Splits(variant, counts);
        for (String name : variant.dataFiles()) {
            Path file = folder.resolve(name);
            try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
                splits.parse(name, in, Files.size(file), file.toString(), remedy);
            } catch (IOException e) {
                throw unreadable(file.toString(), e);
            }
        }
        Path namesFile = folder.resolve(dataset.classNamesFile());
        List<String> classNames = null;
        if (Files.isRegularFile(namesFile)) {
            try {
                classNames = parseClassNames(Files.readAllBytes(namesFile), namesFile.toString(), dataset);
            } catch (IOException e) {
                throw unreadable(namesFile.toString(), e);
            }
        }
        return splits.build(dataset, classNames, folder);
    }

    private static CifarData readArchive(Path archive, DatasetChoice dataset, RecordCounts counts) {
        CifarVariant variant = dataset.variant();
        checkGzipMagic(archive, variant);
        Splits splits = new Splits(variant, counts);
        String remedy = "download " + variant.archiveFileName() + " again from " + variant.officialUrl();
        Set<String> seen = new HashSet<>();
        Set<String> foreign = new TreeSet<>();
        List<String> classNames = null;
        // A large buffer before the inflater: the archive is 170 MB and is read once, start to end.
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(archive), 1 << 20);
             TarArchiveInputStream tar = new TarArchiveInputStream(new GzipCompressorInputStream(raw))) {
            for (TarArchiveEntry entry = tar.getNextEntry(); entry != null; entry = tar.getNextEntry()) {
                if (!entry.isFile()) {
                    continue;
                }
                String base = baseName(entry.getName());
                String where = entry.getName() + " in " + archive;
                if (variant.dataFiles().contains(base)) {
                    if (!seen.add(base)) {
                        throw new DataException(archive + ": the archive holds " + base
                                + " more than once (again as " + entry.getName() + "). It is not an official "
                                + variant.archiveFileName() + ": " + remedy + ".");
                    }
                    splits.parse(base, tar, entry.getSize(), where, remedy);
                } else if (base.equals(dataset.classNamesFile())) {
                    classNames = parseClassNames(tar.readAllBytes(), where, dataset);
                } else if (variant.other().dataFiles().contains(base)) {
                    foreign.add(base);
                }
            }
        } catch (IOException e) {
            String reason = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
            throw new DataException(archive + ": the archive could not be read to the end (" + reason
                    + "). It is truncated or corrupt, perhaps from an interrupted download: " + remedy + ".", e);
        }
        List<String> missing = variant.dataFiles().stream().filter(name -> !seen.contains(name)).toList();
        if (!missing.isEmpty()) {
            if (!foreign.isEmpty()) {
                throw looksLikeOther(archive.toString(), variant, List.copyOf(foreign));
            }
            throw new DataException(archive + ": the archive lacks " + String.join(", ", missing)
                    + " (expected " + variant.displayName() + " binary files under " + variant.folderName()
                    + "/). It is not a complete " + variant.archiveFileName() + ": " + remedy + ".");
        }
        return splits.build(dataset, classNames, archive);
    }

    /** A clear message for the common mistake of pointing at a .bin file or some other file. */
    private static void checkGzipMagic(Path file, CifarVariant variant) {
        byte[] head;
        try (InputStream in = Files.newInputStream(file)) {
            head = in.readNBytes(2);
        } catch (IOException e) {
            throw unreadable(file.toString(), e);
        }
        if (head.length < 2 || (head[0] & 0xFF) != 0x1F || (head[1] & 0xFF) != 0x8B) {
            throw new DataException(file + ": is not a gzip-compressed tar archive. Point --data-dir at "
                    + variant.archiveFileName() + " or at the folder holding the extracted files"
                    + " (not at a single file inside it).");
        }
    }

    private static DataException looksLikeOther(String where, CifarVariant variant, List<String> foreignFiles) {
        CifarVariant other = variant.other();
        return new DataException(where + ": holds " + String.join(", ", foreignFiles) + " instead of "
                + String.join(", ", variant.dataFiles()) + "; this looks like " + other.displayName() + ", not "
                + variant.displayName() + ". Choose the " + other.displayName() + " dataset (--dataset " + other.id()
                + "), or point to " + variant.archiveFileName() + ".");
    }

    private static DataException unreadable(String where, IOException e) {
        return new DataException(where + ": could not be read (" + e + "). Check that it exists and is readable.", e);
    }

    static List<String> parseClassNames(byte[] content, String where, DatasetChoice dataset) {
        List<String> names = new String(content, StandardCharsets.UTF_8).lines()
                .map(String::strip).filter(line -> !line.isEmpty()).toList();
        if (names.size() != dataset.numClasses()) {
            throw new DataException(where + ": lists " + names.size() + " class names, " + dataset.displayName()
                    + " has " + dataset.numClasses() + ". The file is corrupt: extract it again, or delete it to use"
                    + " the well-known " + dataset.displayName() + " class names.");
        }
        return names;
    }

    private static String baseName(String entryName) {
        return entryName.substring(entryName.lastIndexOf('/') + 1);
    }

    /**
     * The two splits being filled. The record counts are fixed in advance, so
     * every file is decoded straight into its place in the final arrays, in
     * whatever order the archive stores the files.
     */
    private static final class Splits {
        final CifarVariant variant;
        final RecordCounts counts;
        final byte[][] images = new byte[2][];
        final int[][] labels = new int[2][];
        final int[][] coarse = new int[2][];

        Splits(CifarVariant variant, RecordCounts counts) {
            this.variant = variant;
            this.counts = counts;
            int[] sizes = {variant.trainFiles().size() * counts.perTrainFile(),
                           variant.testFiles().size() * counts.perTestFile()};
            for (int s = 0; s < 2; s++) {
                images[s] = new byte[Math.multiplyExact(sizes[s], CifarDataset.IMAGE_BYTES)];
                labels[s] = new int[sizes[s]];
                coarse[s] = new int[variant == CifarVariant.CIFAR100 ? sizes[s] : 0];
            }
        }

        /** Decodes one data file of {@code size} bytes from {@code in} into its place. */
        void parse(String name, InputStream in, long size, String where, String remedy) throws IOException {
            boolean train = variant.trainFiles().contains(name);
            int split = train ? 0 : 1;
            int expected = train ? counts.perTrainFile() : counts.perTestFile();
            int first = (train ? variant.trainFiles() : variant.testFiles()).indexOf(name) * expected;
            checkSize(size, expected, train, where, remedy);

            int recordBytes = variant.recordBytes();
            int labelBytes = variant.labelBytes();
            byte[] record = new byte[recordBytes];
            byte[] out = images[split];
            for (int r = 0; r < expected; r++) {
                int got = in.readNBytes(record, 0, recordBytes);
                if (got < recordBytes) {
                    throw new DataException(where + ": ends after " + ((long) r * recordBytes + got) + " of " + size
                            + " bytes. The file is truncated: " + remedy + ".");
                }
                int fine = record[labelBytes - 1] & 0xFF;
                checkLabel(fine, variant.numClasses(), labelBytes == 2 ? "fine label" : "label", r, where, remedy);
                labels[split][first + r] = fine;
                if (labelBytes == 2) {
                    int coarseLabel = record[0] & 0xFF;
                    checkLabel(coarseLabel, CifarVariant.CIFAR100_COARSE_CLASSES, "coarse label", r, where, remedy);
                    coarse[split][first + r] = coarseLabel;
                }
                // The file stores three planes (all red, all green, all blue); the
                // pipeline wants each pixel's three values together (NHWC).
                int base = (first + r) * CifarDataset.IMAGE_BYTES;
                for (int p = 0; p < PLANE; p++) {
                    int o = base + p * 3;
                    out[o] = record[labelBytes + p];
                    out[o + 1] = record[labelBytes + PLANE + p];
                    out[o + 2] = record[labelBytes + 2 * PLANE + p];
                }
            }
        }

        private void checkSize(long size, int expected, boolean train, String where, String remedy) {
            int recordBytes = variant.recordBytes();
            CifarVariant other = variant.other();
            if (size % recordBytes != 0) {
                if (size % other.recordBytes() == 0) {
                    throw new DataException(where + ": size " + size + " bytes is a whole number of "
                            + other.recordBytes() + "-byte " + other.displayName() + " records but not of "
                            + recordBytes + "-byte " + variant.displayName() + " records; this looks like "
                            + other.displayName() + ", not " + variant.displayName() + ". Choose the "
                            + other.displayName() + " dataset (--dataset " + other.id() + "), or point to "
                            + variant.archiveFileName() + ".");
                }
                throw new DataException(where + ": size " + size + " bytes is not a whole number of " + recordBytes
                        + "-byte " + variant.displayName() + " records (" + size / recordBytes + " records and "
                        + size % recordBytes + " bytes). The file is truncated or corrupt: " + remedy + ".");
            }
            if (size / recordBytes != expected) {
                throw new DataException(where + ": holds " + size / recordBytes + " records, but a "
                        + variant.displayName() + (train ? " training" : " test") + " file holds " + expected
                        + ". The file is incomplete or not an official " + variant.displayName() + " file: "
                        + remedy + ".");
            }
        }

        private void checkLabel(int value, int limit, String what, int record, String where, String remedy) {
            if (value >= limit) {
                throw new DataException(where + ": record " + record + " (counting from 0) has " + what + " "
                        + value + ", outside 0.." + (limit - 1) + ". The file is corrupt or not a "
                        + variant.displayName() + " file: " + remedy + ".");
            }
        }

        /**
         * The two splits with the chosen labels and {@code classNames}, or the built-in official names
         * when the data carried no names file ({@code null}).
         */
        CifarData build(DatasetChoice dataset, List<String> classNames, Path source) {
            List<String> names = classNames;
            if (names == null) {
                names = dataset.wellKnownClassNames();
                LOG.info("{} holds no {}: using the official {} class names built into the reader", source,
                        dataset.classNamesFile(), dataset.displayName());
            }
            boolean coarseLabels = dataset.labelSet() == LabelSet.COARSE;
            return new CifarData(
                    new CifarDataset(variant, "train", images[0], coarseLabels ? coarse[0] : labels[0], coarse[0],
                            names, dataset.labelSet()),
                    new CifarDataset(variant, "test", images[1], coarseLabels ? coarse[1] : labels[1], coarse[1],
                            names, dataset.labelSet()));
        }
    }
}

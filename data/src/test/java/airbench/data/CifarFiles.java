package airbench.data;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;

/**
 * Writes small CIFAR files in the official binary layout, written here from the
 * format description (label byte(s), then the red, green and blue planes, each
 * row-major) and not with any code of the reader.
 *
 * <p>Image {@code i} of a split has pixel {@link #pixel}, label {@link #label}
 * and coarse label {@link #coarse}, so a test can check any value it reads.
 */
final class CifarFiles {
    private CifarFiles() {}

    static final int TRAIN = 0;
    static final int TEST = 1;

    /** Pixel value of image {@code i} of {@code split} at row y, column x, channel c. */
    static int pixel(int split, int i, int y, int x, int c) {
        return (split * 101 + i * 7 + y * 3 + x * 5 + c * 11) & 0xFF;
    }

    static int label(CifarVariant variant, int split, int i) {
        return (i * 3 + split) % variant.numClasses();
    }

    static int coarse(int split, int i) {
        return (i * 7 + split) % CifarVariant.CIFAR100_COARSE_CLASSES;
    }

    /** One record of image {@code i}. */
    static byte[] record(CifarVariant variant, int split, int i) {
        byte[] record = new byte[variant.recordBytes()];
        int at = 0;
        if (variant == CifarVariant.CIFAR100) {
            record[at++] = (byte) coarse(split, i);
        }
        record[at++] = (byte) label(variant, split, i);
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < 32; y++) {
                for (int x = 0; x < 32; x++) {
                    record[at++] = (byte) pixel(split, i, y, x, c);
                }
            }
        }
        return record;
    }

    /** Records {@code first .. first + count - 1} of a split, concatenated. */
    static byte[] records(CifarVariant variant, int split, int first, int count) {
        byte[] out = new byte[count * variant.recordBytes()];
        for (int r = 0; r < count; r++) {
            System.arraycopy(record(variant, split, first + r), 0, out, r * variant.recordBytes(),
                    variant.recordBytes());
        }
        return out;
    }

    /** Every data file of a complete copy, by file name, in the official order. */
    static Map<String, byte[]> dataFiles(CifarVariant variant, RecordCounts counts) {
        Map<String, byte[]> files = new LinkedHashMap<>();
        List<String> train = variant.trainFiles();
        for (int f = 0; f < train.size(); f++) {
            files.put(train.get(f), records(variant, TRAIN, f * counts.perTrainFile(), counts.perTrainFile()));
        }
        List<String> test = variant.testFiles();
        for (int f = 0; f < test.size(); f++) {
            files.put(test.get(f), records(variant, TEST, f * counts.perTestFile(), counts.perTestFile()));
        }
        return files;
    }

    static byte[] namesFile(List<String> names) {
        return (String.join("\n", names) + "\n\n").getBytes(StandardCharsets.UTF_8);
    }

    static void writeFolder(Path folder, Map<String, byte[]> files) throws IOException {
        Files.createDirectories(folder);
        for (Map.Entry<String, byte[]> file : files.entrySet()) {
            Files.write(folder.resolve(file.getKey()), file.getValue());
        }
    }

    /** A .tar.gz holding {@code files} under {@code prefix/}, as the official archives do. */
    static void writeArchive(Path archive, String prefix, Map<String, byte[]> files) throws IOException {
        try (OutputStream out = Files.newOutputStream(archive);
             TarArchiveOutputStream tar = new TarArchiveOutputStream(new GzipCompressorOutputStream(out))) {
            tar.putArchiveEntry(new TarArchiveEntry(prefix + "/"));
            tar.closeArchiveEntry();
            for (Map.Entry<String, byte[]> file : files.entrySet()) {
                TarArchiveEntry entry = new TarArchiveEntry(prefix + "/" + file.getKey());
                entry.setSize(file.getValue().length);
                tar.putArchiveEntry(entry);
                tar.write(file.getValue());
                tar.closeArchiveEntry();
            }
        }
    }
}

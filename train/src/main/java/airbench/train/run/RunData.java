package airbench.train.run;

import airbench.data.CifarData;
import airbench.data.CifarDataset;
import airbench.data.DataException;
import airbench.data.DatasetChoice;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.zip.CRC32C;

/**
 * The data an invocation trained on, recorded in its folder ({@link RunFolder#DATA_FILE}) so that {@code --resume}
 * finds it without {@code --data-dir} (a run started with {@code mvn exec:java}, whose data came from the build's
 * fallback folder, resumes under {@code java -jar} alone) and refuses other data.
 *
 * <p>The checksum is a CRC32C of what was read, not of the file: the training images, their labels, the test
 * images and theirs, in that order (images as the uint8 bytes of the records, labels as big-endian ints, CIFAR-100's
 * coarse labels after its fine ones). So the archive and its extracted files give the same checksum, and two
 * copies that train differently never do (short of a CRC32C collision, about 1 in 4 billion for random damage).
 *
 * @param dataset  the dataset's id ({@link DatasetChoice#id})
 * @param path     where it was read from (absolute): the archive or the folder of extracted files
 * @param checksum {@code crc32c:} and 8 hex digits, as said above
 * @param images   training plus test images read
 */
public record RunData(String dataset, String path, String checksum, long images) {

    /** The record of {@code data}, read from {@code source}. */
    public static RunData of(DatasetChoice dataset, Path source, CifarData data) {
        return new RunData(dataset.id(), source.toAbsolutePath().normalize().toString(), checksum(data),
                (long) data.train().size() + data.test().size());
    }

    /** The content checksum of the class comment. */
    static String checksum(CifarData data) {
        CRC32C crc = new CRC32C();
        for (CifarDataset split : new CifarDataset[] {data.train(), data.test()}) {
            crc.update(split.images());
            update(crc, split.labels());
            update(crc, split.coarseLabels());
        }
        return String.format(Locale.ROOT, "crc32c:%08x", crc.getValue());
    }

    private static void update(CRC32C crc, int[] values) {
        ByteBuffer bytes = ByteBuffer.allocate(values.length * Integer.BYTES);
        bytes.asIntBuffer().put(values);
        crc.update(bytes);
    }

    /**
     * The data to read for a resumed invocation: {@code given} (a {@code --data-dir} of the options) if any, else the
     * recorded location if it is still there, else empty (the standard places).
     */
    public Optional<Path> location(Optional<Path> given) {
        if (given.isPresent()) {
            return given;
        }
        Path recorded = Path.of(path);
        return Files.exists(recorded) ? Optional.of(recorded) : Optional.empty();
    }

    /**
     * @throws DataException when {@code now} (read from {@code source}) is not the data this record describes, naming
     *                       both locations
     */
    public void requireSame(RunData now, Path runFolder) {
        if (!dataset.equals(now.dataset()) || !checksum.equals(now.checksum())) {
            throw new DataException("the data read now is not the data " + runFolder + " was started with: "
                    + now.path() + " (" + now.dataset() + ", " + now.images() + " images, " + now.checksum()
                    + ") differs from " + path + " (" + dataset + ", " + images + " images, " + checksum + ", recorded"
                    + " in " + runFolder.resolve(RunFolder.DATA_FILE) + "). Resume with --data-dir " + path + " (or a"
                    + " copy of it), or start a new run on the other data.");
        }
    }
}

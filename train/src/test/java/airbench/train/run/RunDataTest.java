package airbench.train.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import airbench.data.CifarData;
import airbench.data.CifarReader;
import airbench.data.CifarVariant;
import airbench.data.DataException;
import airbench.data.DatasetChoice;
import airbench.data.RecordCounts;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The data record of an invocation ({@link RunData}): its checksum is of what was read (an archive and its extracted
 * files agree; one changed pixel or label does not), a resume reads the recorded location unless given another, and
 * refuses other data naming both locations.
 */
class RunDataTest {
    private static final RecordCounts SMALL = new RecordCounts(20, 20);
    private static final CifarVariant CIFAR10 = CifarVariant.CIFAR10;

    /** Small CIFAR-10 files (20 random records each) by name. */
    private static Map<String, byte[]> files() {
        SplittableRandom random = new SplittableRandom(7);
        Map<String, byte[]> files = new LinkedHashMap<>();
        for (String name : CIFAR10.dataFiles()) {
            byte[] bytes = new byte[20 * CIFAR10.recordBytes()];
            for (int i = 0; i < bytes.length; i++) {
                bytes[i] = (byte) random.nextInt(256);
            }
            for (int r = 0; r < 20; r++) {
                bytes[r * CIFAR10.recordBytes()] = (byte) random.nextInt(10);  // the label byte
            }
            files.put(name, bytes);
        }
        return files;
    }

    private static Path folder(Path dir, Map<String, byte[]> files) throws Exception {
        Files.createDirectories(dir);
        for (Map.Entry<String, byte[]> f : files.entrySet()) {
            Files.write(dir.resolve(f.getKey()), f.getValue());
        }
        return dir;
    }

    private static RunData read(Path source) {
        CifarData data = CifarReader.read(source, DatasetChoice.CIFAR10, SMALL);
        return RunData.of(DatasetChoice.CIFAR10, source, data);
    }

    @Test
    void theChecksumIsOfTheImagesAndLabelsReadNotOfTheFile(@TempDir Path dir) throws Exception {
        Map<String, byte[]> files = files();
        Path folder = folder(dir.resolve("folder"), files);
        Path archive = dir.resolve(CIFAR10.archiveFileName());
        try (OutputStream out = Files.newOutputStream(archive);
             TarArchiveOutputStream tar = new TarArchiveOutputStream(new GzipCompressorOutputStream(out))) {
            for (Map.Entry<String, byte[]> f : files.entrySet()) {
                TarArchiveEntry entry = new TarArchiveEntry(CIFAR10.folderName() + "/" + f.getKey());
                entry.setSize(f.getValue().length);
                tar.putArchiveEntry(entry);
                tar.write(f.getValue());
                tar.closeArchiveEntry();
            }
        }
        RunData fromFolder = read(folder);
        RunData fromArchive = read(archive);
        assertTrue(fromFolder.checksum().matches("crc32c:[0-9a-f]{8}"), fromFolder.checksum());
        assertEquals(fromFolder.checksum(), fromArchive.checksum(), "the archive and its files hold the same data");
        assertEquals(120, fromFolder.images());
        assertEquals(archive.toAbsolutePath().normalize().toString(), fromArchive.path());

        Map<String, byte[]> onePixel = files();
        onePixel.get("test_batch.bin")[5 * CIFAR10.recordBytes() + 100] ^= 1;
        assertNotEquals(fromFolder.checksum(), read(folder(dir.resolve("pixel"), onePixel)).checksum());
        Map<String, byte[]> oneLabel = files();
        byte[] first = oneLabel.get(CIFAR10.trainFiles().get(0));
        first[0] = (byte) ((first[0] + 1) % 10);
        assertNotEquals(fromFolder.checksum(), read(folder(dir.resolve("label"), oneLabel)).checksum());
    }

    @Test
    void otherDataIsRefusedWithBothLocations(@TempDir Path dir) throws Exception {
        RunData recorded = read(folder(dir.resolve("a"), files()));
        Map<String, byte[]> changed = files();
        changed.get("data_batch_3.bin")[77] ^= 4;
        RunData now = read(folder(dir.resolve("b"), changed));
        recorded.requireSame(read(dir.resolve("a")), dir);  // the same data: no complaint
        DataException e = assertThrows(DataException.class, () -> recorded.requireSame(now, dir.resolve("run")));
        assertTrue(e.getMessage().contains(recorded.path()) && e.getMessage().contains(now.path())
                && e.getMessage().contains("--data-dir " + recorded.path()), e.getMessage());
    }

    @Test
    void aResumeReadsTheGivenLocationElseTheRecordedOneIfItIsStillThere(@TempDir Path dir) throws Exception {
        RunData recorded = read(folder(dir.resolve("a"), files()));
        Path given = dir.resolve("elsewhere");
        assertEquals(Optional.of(given), recorded.location(Optional.of(given)));
        assertEquals(Optional.of(dir.resolve("a").toAbsolutePath().normalize()), recorded.location(Optional.empty()));
        RunData gone = new RunData("cifar10", dir.resolve("moved-away").toString(), recorded.checksum(), 120);
        assertEquals(Optional.empty(), gone.location(Optional.empty()), "then the standard places");
    }
}

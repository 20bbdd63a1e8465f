package airbench.train.run;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import airbench.train.EpochRecord;
import airbench.train.LogCapture;
import airbench.train.TinyTraining;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checkpoints and {@code model-weights.bin} carry their length and a CRC32C of their contents; a file with one
 * flipped bit, cut short, lengthened or with a wrong checksum is refused with its path, what is wrong and what to
 * do, and never loaded. Files of the first layout (no checksum) still load, with a warning.
 */
class CheckpointIntegrityTest {

    private static Map<String, float[]> state() {
        Map<String, float[]> state = new LinkedHashMap<>();
        state.put("block1/conv1/kernel", new float[] {0.5f, -1.25f, 3e-8f, Float.MIN_VALUE});
        float[] big = new float[10_000];
        for (int i = 0; i < big.length; i++) {
            big[i] = (float) Math.sin(i);
        }
        state.put("momentum/head/kernel", big);
        return state;
    }

    private static Checkpoint.Header header() {
        return new Checkpoint.Header(Map.of("name", "94"), 3, 17, List.of(new EpochRecord(1, 10, 1.5, 0.4, null, 2.0)),
                4.0, 5.0, 0, 0.1, "cifar10");
    }

    private static Path written(Path dir) {
        Path file = dir.resolve("checkpoint.bin");
        Checkpoint.write(file, header(), state());
        return file;
    }

    @Test
    void aWrittenCheckpointReadsBackAndItsLayoutIsLengthThenContentsThenCrc32c(@TempDir Path dir) throws Exception {
        Path file = written(dir);
        Checkpoint.Contents read = Checkpoint.read(file);
        assertEquals(17, read.header().steps());
        state().forEach((name, values) -> assertArrayEquals(values, read.state().get(name), name));
        assertFalse(Files.exists(dir.resolve("checkpoint.bin.tmp")), "the temporary file is renamed away");

        // The layout, read independently of Checkpoint: magic, the file's length, ..., CRC32C of all before it.
        byte[] bytes = Files.readAllBytes(file);
        DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(bytes));
        assertEquals("AIRBENCH-CHECKPOINT-2", in.readUTF());
        assertEquals(bytes.length, in.readLong());
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, bytes.length - 4);
        assertEquals((int) crc.getValue(), ByteBuffer.wrap(bytes, bytes.length - 4, 4).getInt());
        // The payload: the float values as big-endian float32, as in the first layout.
        byte[] kernel = ByteBuffer.allocate(16).putFloat(0.5f).putFloat(-1.25f).putFloat(3e-8f)
                .putFloat(Float.MIN_VALUE).array();
        assertTrue(indexOf(bytes, kernel) > 0, "the kernel's values are stored as they are");
    }

    @Test
    void oneFlippedBitIsRefusedNotLoaded(@TempDir Path dir) throws Exception {
        Path file = written(dir);
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length / 2] ^= 0x10;  // inside the big variable's values: a float that still parses
        Files.write(file, bytes);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Checkpoint.read(file));
        assertRefusal(e, file, "CRC32C");
        assertTrue(e.getMessage().contains("rm " + file), "says what to do: " + e.getMessage());
    }

    @Test
    void aTruncatedFileIsRefusedAsTruncated(@TempDir Path dir) throws Exception {
        Path file = written(dir);
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, Arrays.copyOf(bytes, bytes.length - 1000));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Checkpoint.read(file));
        assertRefusal(e, file, "truncated");
        assertTrue(e.getMessage().contains((bytes.length - 1000) + " bytes but says it holds " + bytes.length),
                e.getMessage());

        Files.write(file, Arrays.copyOf(bytes, 10));
        assertRefusal(assertThrows(IllegalStateException.class, () -> Checkpoint.read(file)), file, "truncated");
    }

    @Test
    void aWrongChecksumOrAddedBytesAreRefused(@TempDir Path dir) throws Exception {
        Path file = written(dir);
        byte[] bytes = Files.readAllBytes(file);
        byte[] wrongChecksum = bytes.clone();
        ByteBuffer.wrap(wrongChecksum).putInt(bytes.length - 4, ByteBuffer.wrap(bytes).getInt(bytes.length - 4) + 1);
        Files.write(file, wrongChecksum);
        assertRefusal(assertThrows(IllegalStateException.class, () -> Checkpoint.read(file)), file, "checksum");

        byte[] longer = Arrays.copyOf(bytes, bytes.length + 3);
        Files.write(file, longer);
        assertRefusal(assertThrows(IllegalStateException.class, () -> Checkpoint.read(file)), file, "added");
    }

    @Test
    void aDamagedWeightsFileSaysWhatElseHoldsTheNetwork(@TempDir Path dir) throws Exception {
        Path file = dir.resolve(RunFolder.WEIGHTS_FILE);
        ModelWeights.write(file, state());
        assertArrayEquals(state().get("block1/conv1/kernel"), Checkpoint.read(file).state().get("block1/conv1/kernel"));
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length - 100] ^= 1;
        Files.write(file, bytes);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Checkpoint.read(file));
        assertRefusal(e, file, "CRC32C");
        assertTrue(e.getMessage().contains("SavedModel"), e.getMessage());
    }

    /** The first layout, written here byte by byte as the code before checksums wrote it. */
    @Test
    void aCheckpointOfTheFirstLayoutLoadsUnverifiedWithAWarning(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("checkpoint.bin");
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(buffer)) {
            out.writeUTF("AIRBENCH-CHECKPOINT-1");
            byte[] json = Json.MAPPER.writeValueAsBytes(header());
            out.writeInt(json.length);
            out.write(json);
            out.writeInt(state().size());
            for (Map.Entry<String, float[]> e : state().entrySet()) {
                out.writeUTF(e.getKey());
                out.writeInt(e.getValue().length);
                for (float v : e.getValue()) {
                    out.writeFloat(v);
                }
            }
            out.writeUTF("END");
        }
        Files.write(file, buffer.toByteArray());
        try (LogCapture log = new LogCapture()) {
            Checkpoint.Contents read = Checkpoint.read(file);
            state().forEach((name, values) -> assertArrayEquals(values, read.state().get(name), name));
            assertEquals(17, read.header().steps());
            assertTrue(log.text().contains("WARN " + file + " was written before checkpoints carried a checksum"),
                    log.text());
        }
    }

    @Test
    void aFileOfAnotherKindIsRefused(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("checkpoint.bin");
        Files.write(file, "{\"not\": \"a checkpoint\"}".getBytes(StandardCharsets.UTF_8));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Checkpoint.read(file));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("was not loaded"),
                e.getMessage());
    }

    /** The bug of issue 34: a run folder's checkpoint with one flipped bit was loaded silently. */
    @Test
    void aRunFolderWithADamagedCheckpointIsNotContinued(@TempDir Path dir) throws Exception {
        TinyTraining.SyntheticImages synthetic = TinyTraining.syntheticImages(TinyTraining.TRAIN_IMAGES);
        TrainOptions options = TinyTraining.options("2", "--tta", "0", "--epoch-eval", "false");
        Path run = dir.resolve("seed-1");
        Path file = run.resolve(RunFolder.CHECKPOINT_FILE);
        synthetic.runUntilCrash(options, TinyTraining.Recorder.crashingAfterEpoch(1), 1, run);
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length / 2] ^= 0x01;
        Files.write(file, bytes);
        TinyTraining.Recorder resumed = TinyTraining.Recorder.uninterrupted();
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> synthetic.trainer(options, resumed).run(1, run));
        assertRefusal(e, file, "CRC32C");
        assertTrue(resumed.starts.isEmpty(), "no training started");
        assertTrue(Files.exists(file), "the damaged file is left for the user to look at");
    }

    private static void assertRefusal(IllegalStateException e, Path file, String what) {
        String message = e.getMessage();
        assertTrue(message.contains(file.toString()), "names the file: " + message);
        assertTrue(message.contains(what), "says what is wrong (" + what + "): " + message);
        assertTrue(message.contains("It was not loaded"), "says it was not loaded: " + message);
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}

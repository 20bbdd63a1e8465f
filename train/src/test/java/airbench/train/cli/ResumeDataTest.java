package airbench.train.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import airbench.data.DatasetChoice;
import airbench.train.LogCapture;
import airbench.train.TinyTraining;
import airbench.train.run.Json;
import airbench.train.run.RunData;
import airbench.train.run.RunFolder;
import airbench.train.run.TrainOptionTable;
import airbench.train.run.TrainOptions;
import airbench.train.sweep.SyntheticCifarFolder;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --resume} reads the data its invocation recorded ({@code data.json}), so that an invocation whose data was
 * found without {@code --data-dir} (as {@code mvn exec:java} finds the build's fallback folder) resumes under
 * {@code java -jar} alone; and it refuses other data, naming both locations.
 */
class ResumeDataTest {
    private static final String[] TINY = {"--widths", TinyTraining.WIDTHS, "--batch-size", "256", "--epochs", "1",
            "--train-subset", "2560", "--threads", "2", "--epoch-eval", "false", "--tta", "0", "--compile", "none",
            "--no-tensorboard"};

    /** An invocation folder as a start without {@code --data-dir} leaves it, with {@code data} recorded. */
    private static Path invocationOn(Path data, Path output) throws Exception {
        TrainOptions options = TrainOptions.resolve(TrainOptionTable.parse(TINY, new Properties()));
        Path dir = RunFolder.create(output, options.recipe(), options.dataset(), options.pinnedRaw());
        RunFolder.recordData(dir, RunData.of(DatasetChoice.CIFAR10, data, options.loadData(data)));
        return dir;
    }

    @Test
    void aResumeWithoutDataDirReadsTheRecordedDataAndRefusesOtherData(@TempDir Path dir) throws Exception {
        Path data = SyntheticCifarFolder.write(dir.resolve("data"));
        Path started = invocationOn(data, dir.resolve("runs"));
        assertTrue(Json.read(started.resolve(RunFolder.OPTIONS_FILE), java.util.Map.class).get("data-dir") == null,
                "the invocation was started without --data-dir");
        try (LogCapture log = new LogCapture()) {
            assertEquals(0, Main.run(new String[] {"--resume", started.toString()}));
            assertTrue(log.text().contains("reading the data " + started + " was started with (data.json)")
                    && log.text().contains("Using CIFAR-10 data from " + data.toAbsolutePath().normalize()),
                    log.text());
        }
        assertTrue(Files.exists(started.resolve("seed-0").resolve(RunFolder.RESULT_FILE)));

        // A copy with one changed pixel is other data: refused before any training, naming both folders.
        Path other = Files.createDirectories(dir.resolve("other"));
        for (String name : List.of("data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin",
                "data_batch_5.bin", "test_batch.bin")) {
            Files.copy(data.resolve(name), other.resolve(name));
        }
        byte[] batch = Files.readAllBytes(other.resolve("data_batch_2.bin"));
        batch[12_345] ^= 8;
        Files.write(other.resolve("data_batch_2.bin"), batch);
        Path second = invocationOn(data, dir.resolve("runs2"));
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(new String[] {"--resume", second.toString(), "--data-dir", other.toString()},
                System.getProperties(), System.out, new PrintStream(err, true, StandardCharsets.UTF_8));
        String message = err.toString(StandardCharsets.UTF_8);
        assertEquals(1, code, message);
        assertTrue(message.startsWith("error: train: the data read now is not the data " + second), message);
        assertTrue(message.contains(other.toAbsolutePath().normalize().toString())
                && message.contains(data.toAbsolutePath().normalize().toString()), message);
        assertTrue(Files.notExists(second.resolve("seed-0")), "nothing trained");
    }
}

package airbench.train.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import airbench.train.TinyTraining;
import airbench.train.run.Checkpoint;
import airbench.train.run.Json;
import airbench.train.sweep.SyntheticCifarFolder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGTERM to a sweep (a shard in a child JVM, as a Slurm array task or a Kubernetes pod would be stopped): the run
 * under way ends after its step with its checkpoint in its {@code unfinished/} folder, no further run starts, the
 * process exits with 143 saying that the same command continues; the same command then continues that run from its
 * checkpoint, trains the one not started, and both results are those of the sweep never stopped.
 */
class SweepStopTest {
    /** Two seeds of one cell, 8 epochs of 10 steps each: the signal comes during the first run. */
    private static List<String> sweep(Path data, Path output) {
        return new ArrayList<>(List.of("sweep", "--data-dir", data.toString(), "--train-subset", "2560",
                "--batch-size", "256", "--widths", TinyTraining.WIDTHS, "--epochs", "8", "--tta", "0",
                "--epoch-eval", "false", "--compile", "none", "--no-tensorboard", "--grid", "flip=alternating",
                "--seeds", "0-1", "--shard", "0/1", "--threads", "2", "--output", output.toString()));
    }

    @Test
    void aStoppedSweepKeepsItsRunsCheckpointAndTheSameCommandContinuesIt(@TempDir Path dir) throws Exception {
        Path data = SyntheticCifarFolder.write(dir.resolve("data"));
        Path stopped = dir.resolve("stopped");
        Path firstRun = stopped.resolve("flip=alternating/seed-0");
        Path checkpoint = firstRun.resolve("unfinished/seed-0/checkpoint.bin");

        int exit;
        String log;
        try (ChildJvm child = ChildJvm.main(sweep(data, stopped))) {
            // The first epoch-end checkpoint (step 10) is there: the signal comes mid-run.
            long deadline = System.nanoTime() + 120_000_000_000L;
            while (!Files.exists(checkpoint) && child.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertTrue(Files.exists(checkpoint), "the first run checkpointed:\n" + child.output());
            child.signal("TERM");
            assertTrue(child.awaitExit(60), "the sweep ended after SIGTERM:\n" + child.output());
            exit = child.exitValue();
            log = child.output();
        }
        assertEquals(143, exit, log);
        assertTrue(log.contains("sweep stopped (SIGTERM): 1 run(s) stopped after a step, each keeping its checkpoint"
                + " in <cell>/seed-N/unfinished/; the finished runs are kept, run the same command to continue"), log);
        int stoppedAt = Checkpoint.read(checkpoint).header().steps();
        assertTrue(stoppedAt >= 10 && stoppedAt < 80, "stopped inside the run: " + stoppedAt);
        assertTrue(log.contains("stopped (SIGTERM) after step " + stoppedAt + " of 80"), log);
        assertFalse(Files.exists(firstRun.resolve("result.json")));
        assertFalse(Files.exists(firstRun.resolve("failure.json")), "a stop is not a failure");
        assertTrue(Json.MAPPER.readTree(firstRun.resolve("task.json").toFile()).get("stopped").asText()
                .contains("after step " + stoppedAt));
        assertFalse(Files.exists(stopped.resolve("flip=alternating/seed-1")), "the second run did not start");
        JsonNode summary = Json.MAPPER.readTree(stopped.resolve("summary.json").toFile());
        assertEquals(2, summary.get("runs_missing").asInt());
        assertEquals(1, summary.get("runs_unfinished").asInt());
        List<String> runs = Files.readAllLines(stopped.resolve("runs.csv"));
        assertTrue(runs.get(1).startsWith("flip=alternating,alternating,0,unfinished,"), runs.get(1));
        assertTrue(runs.get(2).startsWith("flip=alternating,alternating,1,missing,"), runs.get(2));

        // The same command continues: seed 0 from its checkpoint, seed 1 from the start.
        assertEquals(0, Main.run(sweep(data, stopped).toArray(String[]::new)));
        assertFalse(Files.exists(firstRun.resolve("unfinished")), "cleared once the result is recorded");
        JsonNode after = Json.MAPPER.readTree(stopped.resolve("summary.json").toFile());
        assertEquals(2, after.get("runs_finished").asInt());
        assertEquals(1, after.get("runs_resumed").asInt());

        Path straight = dir.resolve("straight");
        assertEquals(0, Main.run(sweep(data, straight).toArray(String[]::new)));
        for (String seed : List.of("seed-0", "seed-1")) {
            ObjectNode continued = TinyTraining.computedResult(
                    Files.readString(stopped.resolve("flip=alternating").resolve(seed).resolve("result.json")));
            ObjectNode once = TinyTraining.computedResult(
                    Files.readString(straight.resolve("flip=alternating").resolve(seed).resolve("result.json")));
            assertEquals(seed.equals("seed-0") ? 1 : 0, continued.remove("resumed_times").asInt(), seed);
            assertEquals(0, once.remove("resumed_times").asInt());
            assertEquals(once, continued, seed);
        }
    }
}

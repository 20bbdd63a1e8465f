package airbench.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import airbench.data.CifarDataset;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Small end-to-end trainings on synthetic data: learning, result files, and exact resumption. */
class TrainerTest {
    private static CifarDataset train;
    private static CifarDataset test;

    @BeforeAll
    static void data() {
        train = SyntheticCifar.make("train", 2560, 1);
        test = SyntheticCifar.make("test", 500, 2);
    }

    private static TrainOptions tiny(String epochs, String... more) {
        return tinyWithWidths("16,32,32", epochs, more);
    }

    private static TrainOptions tinyWithWidths(String widths, String epochs, String... more) {
        List<String> args = new ArrayList<>(List.of("--widths", widths, "--batch-size", "256", "--epochs", epochs,
                "--threads", "2"));
        args.addAll(List.of(more));
        return TrainOptions.resolve(CommandLineOptions.parse(args.toArray(String[]::new), new java.util.Properties()));
    }

    /** Records every step's loss; can interrupt the run after a chosen epoch. */
    private static final class Recorder implements TrainingListener {
        final Map<Integer, Double> losses = new HashMap<>();
        final List<EpochRecord> epochs = new ArrayList<>();
        final int stopAfterEpoch;

        Recorder(int stopAfterEpoch) {
            this.stopAfterEpoch = stopAfterEpoch;
        }

        @Override
        public void stepEnded(long seed, int step, double lossSum) {
            losses.put(step, lossSum);
        }

        @Override
        public void epochEnded(long seed, EpochRecord record) {
            epochs.add(record);
            if (record.epoch() == stopAfterEpoch) {
                throw new IllegalStateException("simulated crash after epoch " + stopAfterEpoch);
            }
        }
    }

    @Test
    void tinyTrainingLearnsAndWritesItsResult(@TempDir Path dir) throws Exception {
        Recorder recorder = new Recorder(-1);
        RunResult result = new Trainer(tiny("4"), train, test, recorder).run(3, dir.resolve("seed-3"));

        List<EpochRecord> history = result.history();
        assertEquals(4, history.size());
        assertEquals(40, result.steps());
        assertTrue(history.get(3).trainLoss() < 0.7 * history.get(0).trainLoss(),
                "training loss should fall: " + history);
        assertTrue(result.ttaAccuracy() > 0.5, "10 classes: chance is 0.1, got " + result.ttaAccuracy());
        assertEquals(List.of("0", "1", "2"), List.copyOf(result.accuracyByTtaLevel().keySet()));
        assertEquals(result.accuracyByTtaLevel().get("2"), result.ttaAccuracy());
        assertTrue(result.trainSeconds() > 0 && result.wallSeconds() >= result.trainSeconds());

        JsonNode json = Json.MAPPER.readTree(dir.resolve("seed-3/result.json").toFile());
        for (String field : List.of("recipe", "seed", "epochs", "options", "history", "tta_accuracy",
                "accuracy_by_tta_level", "train_seconds", "wall_seconds")) {
            assertTrue(json.has(field), "result.json lacks " + field);
        }
        assertEquals(3, json.get("seed").asInt());
        assertEquals(4, json.get("history").size());
        assertTrue(Files.exists(dir.resolve("seed-3/model-weights.bin")));
        assertFalse(Files.exists(dir.resolve("seed-3/checkpoint.bin")), "a finished run keeps no checkpoint");
    }

    @Test
    void resumedRunIsBitForBitTheUninterruptedOne(@TempDir Path dir) throws Exception {
        TrainOptions options = tiny("3", "--epoch-eval", "false");
        Recorder straight = new Recorder(-1);
        RunResult a = new Trainer(options, train, test, straight).run(7, dir.resolve("straight"));

        Path interrupted = dir.resolve("interrupted");
        Recorder first = new Recorder(1);
        assertThrows(IllegalStateException.class, () -> new Trainer(options, train, test, first).run(7, interrupted));
        assertTrue(Files.exists(interrupted.resolve("checkpoint.bin")));
        Recorder second = new Recorder(-1);
        RunResult b = new Trainer(options, train, test, second).run(7, interrupted);

        assertEquals(1, b.resumedTimes());
        assertEquals(10, first.losses.size());
        assertEquals(20, second.losses.size());
        for (int step = 0; step < 30; step++) {
            double resumed = step < 10 ? first.losses.get(step) : second.losses.get(step);
            assertEquals(straight.losses.get(step), resumed, 0.0, "loss of step " + step);
        }
        Map<String, float[]> weightsA = Checkpoint.read(dir.resolve("straight/model-weights.bin")).state();
        Map<String, float[]> weightsB = Checkpoint.read(interrupted.resolve("model-weights.bin")).state();
        assertEquals(weightsA.keySet(), weightsB.keySet());
        weightsA.forEach((name, values) -> assertArrayEquals(values, weightsB.get(name), name));
        assertEquals(a.ttaAccuracy(), b.ttaAccuracy());
        assertEquals(a.history().size(), b.history().size());
    }

    @Test
    void checkpointOfAnotherNetworkIsRefused(@TempDir Path dir) {
        Path run = dir.resolve("run");
        assertThrows(IllegalStateException.class,
                () -> new Trainer(tiny("2"), train, test, new Recorder(1)).run(1, run));
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> new Trainer(tinyWithWidths("16,32,64", "2"), train, test, new Recorder(-1)).run(1, run));
        assertTrue(e.getMessage().contains("belongs to another configuration") && e.getMessage().contains("network"),
                e.getMessage());
    }

    /** A checkpoint from before the network recorded its head (always 1/9 then) still resumes. */
    @Test
    void checkpointWithoutTheHeadFieldResumesAsTheOneNinthHead(@TempDir Path dir) throws Exception {
        Path run = dir.resolve("run");
        assertThrows(IllegalStateException.class,
                () -> new Trainer(tiny("2"), train, test, new Recorder(1)).run(1, run));
        Path file = run.resolve("checkpoint.bin");
        Checkpoint.Contents contents = Checkpoint.read(file);
        Map<String, Object> recipe = new java.util.LinkedHashMap<>(contents.header().recipe());
        @SuppressWarnings("unchecked")
        Map<String, Object> network = new java.util.LinkedHashMap<>((Map<String, Object>) recipe.get("network"));
        assertEquals("NINTH", network.remove("head"));
        recipe.put("network", network);
        Checkpoint.Header h = contents.header();
        Checkpoint.write(file, new Checkpoint.Header(recipe, h.seed(), h.steps(), h.history(), h.trainSeconds(),
                h.wallSeconds(), h.resumedTimes(), h.batchWaitSeconds()), contents.state());
        RunResult resumed = new Trainer(tiny("2"), train, test, new Recorder(-1)).run(1, run);
        assertEquals(1, resumed.resumedTimes());
        assertEquals(20, resumed.steps());
    }

    @Test
    void truncatedCheckpointIsReportedNotLoaded(@TempDir Path dir) throws Exception {
        Path run = dir.resolve("run");
        assertThrows(IllegalStateException.class,
                () -> new Trainer(tiny("2"), train, test, new Recorder(1)).run(1, run));
        Path file = run.resolve("checkpoint.bin");
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, java.util.Arrays.copyOf(bytes, bytes.length / 2));
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> new Trainer(tiny("2"), train, test, new Recorder(-1)).run(1, run));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    /** 94muon on 2,560 images at batch 100: 25 steps per epoch as in the real recipe, so the bias trains 75 steps. */
    private static TrainOptions tinyMuon(String epochs, String... more) {
        List<String> args = new ArrayList<>(List.of("--recipe", "94muon", "--widths", "16,32,32", "--batch-size", "100",
                "--epochs", epochs, "--threads", "2"));
        args.addAll(List.of(more));
        return TrainOptions.resolve(CommandLineOptions.parse(args.toArray(String[]::new), new java.util.Properties()));
    }

    @Test
    void tinyMuonTrainingLearns(@TempDir Path dir) throws Exception {
        Recorder recorder = new Recorder(-1);
        RunResult result = new Trainer(tinyMuon("4"), train, test, recorder).run(2, dir.resolve("seed-2"));
        List<EpochRecord> history = result.history();
        assertEquals(100, result.steps());
        assertEquals("94muon", result.recipe());
        // The synthetic classes are easy: the loss reaches its label-smoothing floor (about 0.8) within the
        // first epoch, so compare the first step (about ln 10 = 2.3 per image) with the last.
        assertTrue(recorder.losses.get(99) < 0.5 * recorder.losses.get(0), "training loss should fall: "
                + recorder.losses.get(0) / 100 + " -> " + recorder.losses.get(99) / 100);
        assertTrue(history.get(3).trainLoss() < history.get(0).trainLoss(), "epoch losses should fall: " + history);
        assertTrue(result.ttaAccuracy() > 0.5, "10 classes: chance is 0.1, got " + result.ttaAccuracy());
    }

    @Test
    void muonResumeIsBitExactAndTheWhiteningBiasFreezesAfterItsSteps(@TempDir Path dir) throws Exception {
        TrainOptions options = tinyMuon("4", "--epoch-eval", "false");
        Recorder straight = new Recorder(-1);
        new Trainer(options, train, test, straight).run(7, dir.resolve("straight"));

        // Crash after epoch 2 (step 50) and after epoch 3 (step 75): the checkpoints hold those states.
        Path early = dir.resolve("early");
        assertThrows(IllegalStateException.class, () -> new Trainer(options, train, test, new Recorder(2)).run(7, early));
        Map<String, float[]> atStep50 = Checkpoint.read(early.resolve("checkpoint.bin")).state();
        Path interrupted = dir.resolve("interrupted");
        Recorder first = new Recorder(3);
        assertThrows(IllegalStateException.class, () -> new Trainer(options, train, test, first).run(7, interrupted));
        Checkpoint.Contents atStep75 = Checkpoint.read(interrupted.resolve("checkpoint.bin"));
        assertEquals(75, atStep75.header().steps());
        Map<String, float[]> state75 = atStep75.state();
        assertTrue(state75.keySet().stream().noneMatch(k -> k.startsWith("lookahead/")), "no Lookahead copies");
        float[] muonBuffer = state75.get("momentum/block2/conv2/kernel");
        assertFalse(java.util.Arrays.equals(new float[muonBuffer.length], muonBuffer),
                "the checkpoint holds Muon's momentum buffer");

        Recorder second = new Recorder(-1);
        RunResult resumed = new Trainer(options, train, test, second).run(7, interrupted);
        assertEquals(1, resumed.resumedTimes());
        for (int step = 0; step < 100; step++) {
            double loss = step < 75 ? first.losses.get(step) : second.losses.get(step);
            assertEquals(straight.losses.get(step), loss, 0.0, "loss of step " + step);
        }
        Map<String, float[]> weightsA = Checkpoint.read(dir.resolve("straight/model-weights.bin")).state();
        Map<String, float[]> weightsB = Checkpoint.read(interrupted.resolve("model-weights.bin")).state();
        weightsA.forEach((name, values) -> assertArrayEquals(values, weightsB.get(name), name));

        // The bias trained up to step 75 (it moved between steps 50 and 75), and not after.
        assertFalse(java.util.Arrays.equals(atStep50.get("whiten/bias"), state75.get("whiten/bias")),
                "the whitening bias should still train in steps 50-74");
        assertArrayEquals(state75.get("whiten/bias"), weightsA.get("whiten/bias"), "whitening bias after step 75");
        assertFalse(java.util.Arrays.equals(state75.get("head/kernel"), weightsA.get("head/kernel")),
                "the head kept training");
    }
}

package airbench.train.run;

import airbench.train.EpochRecord;
import airbench.train.RunResult;
import airbench.train.StopSignal;
import airbench.train.TinyTraining;
import airbench.train.TrainingStoppedException;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Small end-to-end trainings on synthetic data: learning, result files, and exact resumption. */
class SeedRunTest {
    private static final TinyTraining.SyntheticImages SYNTHETIC = TinyTraining.syntheticImages(TinyTraining.TRAIN_IMAGES);

    @Test
    void tinyTrainingLearnsAndWritesItsResult(@TempDir Path dir) throws Exception {
        TinyTraining.Recorder recorder = TinyTraining.Recorder.uninterrupted();
        RunResult result = SYNTHETIC.trainer(TinyTraining.options("4"), recorder).run(3, dir.resolve("seed-3"));

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
        TrainOptions options = TinyTraining.options("3", "--epoch-eval", "false");
        TinyTraining.Recorder straight = TinyTraining.Recorder.uninterrupted();
        RunResult a = SYNTHETIC.trainer(options, straight).run(7, dir.resolve("straight"));

        Path interrupted = dir.resolve("interrupted");
        TinyTraining.Recorder first = TinyTraining.Recorder.crashingAfterEpoch(1);
        assertThrows(IllegalStateException.class, () -> SYNTHETIC.trainer(options, first).run(7, interrupted));
        assertTrue(Files.exists(interrupted.resolve("checkpoint.bin")));
        TinyTraining.Recorder second = TinyTraining.Recorder.uninterrupted();
        RunResult b = SYNTHETIC.trainer(options, second).run(7, interrupted);

        assertEquals(1, b.resumedTimes());
        assertEquals(10, first.losses.size());
        assertEquals(20, second.losses.size());
        TinyTraining.assertSameLosses(straight, first, second, 10, 30);
        TinyTraining.assertSameFinalWeights(dir.resolve("straight"), interrupted);
        assertEquals(a.ttaAccuracy(), b.ttaAccuracy());
        assertEquals(a.history().size(), b.history().size());
    }

    /** Starts a 2-epoch tiny training in {@code run}, crashes it after the first epoch; returns its checkpoint. */
    private static Path crashedAfterTheFirstEpoch(Path run) {
        assertThrows(IllegalStateException.class,
                () -> SYNTHETIC.trainer(TinyTraining.options("2"), TinyTraining.Recorder.crashingAfterEpoch(1)).run(1, run));
        return run.resolve("checkpoint.bin");
    }

    @Test
    void checkpointOfAnotherNetworkIsRefused(@TempDir Path dir) {
        Path run = dir.resolve("run");
        crashedAfterTheFirstEpoch(run);
        TrainOptions wider = TinyTraining.options("16,32,64", TinyTraining.BATCH_SIZE, "2");
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> SYNTHETIC.trainer(wider, TinyTraining.Recorder.uninterrupted()).run(1, run));
        assertTrue(e.getMessage().contains("belongs to another configuration") && e.getMessage().contains("network"),
                e.getMessage());
    }

    /** A checkpoint from before the network recorded its head (always 1/9 then) still resumes. */
    @Test
    void checkpointWithoutTheHeadFieldResumesAsTheOneNinthHead(@TempDir Path dir) throws Exception {
        Path run = dir.resolve("run");
        Path file = crashedAfterTheFirstEpoch(run);
        Checkpoint.Contents contents = Checkpoint.read(file);
        Map<String, Object> recipe = new java.util.LinkedHashMap<>(contents.header().recipe());
        @SuppressWarnings("unchecked")
        Map<String, Object> network = new java.util.LinkedHashMap<>((Map<String, Object>) recipe.get("network"));
        assertEquals("NINTH", network.remove("head"));
        recipe.put("network", network);
        Checkpoint.Header h = contents.header();
        Checkpoint.write(file, new Checkpoint.Header(recipe, h.seed(), h.steps(), h.history(), h.trainSeconds(),
                h.wallSeconds(), h.resumedTimes(), h.batchWaitSeconds()), contents.state());
        RunResult resumed = SYNTHETIC.trainer(TinyTraining.options("2"), TinyTraining.Recorder.uninterrupted()).run(1, run);
        assertEquals(1, resumed.resumedTimes());
        assertEquals(20, resumed.steps());
    }

    @Test
    void truncatedCheckpointIsReportedNotLoaded(@TempDir Path dir) throws Exception {
        Path run = dir.resolve("run");
        Path file = crashedAfterTheFirstEpoch(run);
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, java.util.Arrays.copyOf(bytes, bytes.length / 2));
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> SYNTHETIC.trainer(TinyTraining.options("2"), TinyTraining.Recorder.uninterrupted()).run(1, run));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    /** 94muon on 2,560 images at batch 100: 25 steps per epoch as in the real recipe, so the bias trains 75 steps. */
    private static TrainOptions tinyMuon(String epochs, String... more) {
        List<String> args = new ArrayList<>(List.of("--recipe", "94muon"));
        args.addAll(List.of(more));
        return TinyTraining.options(TinyTraining.WIDTHS, 100, epochs, args.toArray(String[]::new));
    }

    @Test
    void tinyMuonTrainingLearns(@TempDir Path dir) throws Exception {
        TinyTraining.Recorder recorder = TinyTraining.Recorder.uninterrupted();
        RunResult result = SYNTHETIC.trainer(tinyMuon("4"), recorder).run(2, dir.resolve("seed-2"));
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
        TinyTraining.Recorder straight = TinyTraining.Recorder.uninterrupted();
        SYNTHETIC.trainer(options, straight).run(7, dir.resolve("straight"));

        // Crash after epoch 2 (step 50) and after epoch 3 (step 75): the checkpoints hold those states.
        Map<String, float[]> atStep50 = SYNTHETIC.runUntilCrash(options, TinyTraining.Recorder.crashingAfterEpoch(2), 7,
                dir.resolve("early")).state();
        Path interrupted = dir.resolve("interrupted");
        TinyTraining.Recorder first = TinyTraining.Recorder.crashingAfterEpoch(3);
        Checkpoint.Contents atStep75 = SYNTHETIC.runUntilCrash(options, first, 7, interrupted);
        assertEquals(75, atStep75.header().steps());
        Map<String, float[]> state75 = atStep75.state();
        assertTrue(state75.keySet().stream().noneMatch(k -> k.startsWith("lookahead/")), "no Lookahead copies");
        float[] muonBuffer = state75.get("momentum/block2/conv2/kernel");
        assertFalse(java.util.Arrays.equals(new float[muonBuffer.length], muonBuffer),
                "the checkpoint holds Muon's momentum buffer");

        TinyTraining.Recorder second = TinyTraining.Recorder.uninterrupted();
        RunResult resumed = SYNTHETIC.trainer(options, second).run(7, interrupted);
        assertEquals(1, resumed.resumedTimes());
        TinyTraining.assertSameLosses(straight, first, second, 75, 100);
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

    /** 94muon (no Lookahead, Muon's momentum buffers) stopped after 37 of 50 steps continues bit for bit. */
    @Test
    void muonStoppedMidEpochContinuesBitForBit(@TempDir Path dir) throws Exception {
        TrainOptions options = tinyMuon("2", "--epoch-eval", "false", "--tta", "0");
        TinyTraining.Recorder straight = TinyTraining.Recorder.uninterrupted();
        RunResult a = SYNTHETIC.trainer(options, straight).run(7, dir.resolve("straight"));
        Path stopped = dir.resolve("stopped");
        StopSignal stop = new StopSignal();
        TinyTraining.Recorder first = TinyTraining.Recorder.stoppingAfterStep(36, stop);
        assertThrows(TrainingStoppedException.class,
                () -> SYNTHETIC.trainer(options, first, stop).run(7, stopped));
        assertEquals(12, Checkpoint.read(stopped.resolve("checkpoint.bin")).header().epochSoFar().steps(),
                "12 of epoch 2's 25 steps");
        TinyTraining.Recorder second = TinyTraining.Recorder.uninterrupted();
        RunResult b = SYNTHETIC.trainer(options, second).run(7, stopped);
        TinyTraining.assertSameLosses(straight, first, second, 37, 50);
        TinyTraining.assertSameHistory(a.history(), b.history());
        TinyTraining.assertSameFinalWeights(dir.resolve("straight"), stopped);
    }
}

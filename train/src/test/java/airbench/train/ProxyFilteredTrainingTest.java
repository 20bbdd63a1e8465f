package airbench.train;

import airbench.train.run.Checkpoint;
import airbench.train.run.Json;
import airbench.train.run.TrainOptions;
import airbench.train.TinyTraining.Recorder;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Recipe 96faster through the trainer on synthetic data: a narrow main network, the recipe's own
 * proxy, batches of 256 of which the proxy keeps 128. 2,600 images make 10 steps per epoch and
 * leave 40 images at the end of every pass, so batches straddle the pass boundaries.
 */
class ProxyFilteredTrainingTest {
    private static final TinyTraining.SyntheticImages SYNTHETIC = TinyTraining.syntheticImages(2600);

    /**
     * Without XLA: each of the filtered step's four run kinds costs seconds of compilation per run
     * (three runs here); the compiled filtered step is checked against the plain one in the model's
     * tests, and bit-exact resumption under XLA in {@link SeedRunTest}.
     */
    private static TrainOptions tiny(String epochs) {
        return TinyTraining.options(epochs, "--recipe", "96faster", "--epoch-eval", "false", "--compile", "none");
    }

    @Test
    void aFilteredRunLearnsAndAResumedOneIsBitForBitTheUninterruptedOne(@TempDir Path dir) throws Exception {
        TrainOptions options = tiny("3");
        assertEquals(128, options.recipe().filter().keep(), "half of each batch, as 512 of 1,024");
        Recorder straight = Recorder.uninterrupted();
        RunResult a = SYNTHETIC.trainer(options, straight).run(5, dir.resolve("straight"));

        assertEquals(30, a.steps());
        assertEquals("96faster", a.recipe());
        assertEquals(128, straight.starts.get(0).batchSize(), "a step's loss is over the 128 kept examples");
        assertTrue(straight.losses.get(29) < 0.8 * straight.losses.get(0),
                "the loss of the kept examples should fall: " + straight.losses.get(0) / 128 + " -> "
                        + straight.losses.get(29) / 128);
        assertTrue(a.ttaAccuracy() > 0.3, "10 classes: chance is 0.1, got " + a.ttaAccuracy());
        JsonNode json = Json.MAPPER.readTree(dir.resolve("straight/result.json").toFile());
        assertEquals(128, json.at("/hyperparameters/filter/keep").asInt());
        assertEquals(4, json.at("/hyperparameters/filter/proxy_step_every").asInt());
        assertFalse(Files.exists(dir.resolve("straight/checkpoint.bin")));

        // Crash after epoch 1 (step 10: not a proxy step, and a batch that straddles passes 0 and 1).
        Path interrupted = dir.resolve("interrupted");
        Recorder first = Recorder.crashingAfterEpoch(1);
        Checkpoint.Contents checkpoint = SYNTHETIC.runUntilCrash(options, first, 5, interrupted);
        assertEquals(10, checkpoint.header().steps());
        Map<String, float[]> state = checkpoint.state();
        for (String name : List.of("proxy/block2/conv1/kernel", "proxy/momentum/block2/conv1/kernel",
                "proxy/block3/norm2/mean", "proxy/head/kernel", "momentum/head/kernel", "lookahead/head/kernel")) {
            assertTrue(state.containsKey(name), "the checkpoint holds " + name);
        }
        float[] proxyMomentum = state.get("proxy/momentum/head/kernel");
        assertFalse(Arrays.equals(new float[proxyMomentum.length], proxyMomentum), "the proxy stepped at 0, 4, 8");

        Recorder second = Recorder.uninterrupted();
        RunResult b = SYNTHETIC.trainer(options, second).run(5, interrupted);
        assertEquals(1, b.resumedTimes());
        assertEquals(10, second.starts.get(0).startStep());
        TinyTraining.assertSameLosses(straight, first, second, 10, 30);
        Map<String, float[]> weightsA = TinyTraining.assertSameFinalWeights(dir.resolve("straight"), interrupted);
        assertTrue(weightsA.keySet().stream().noneMatch(k -> k.startsWith("proxy/")), "the main network alone");
        assertEquals(a.ttaAccuracy(), b.ttaAccuracy());
    }

    /**
     * Stopped after 11 steps (step 10's batch straddled passes 0 and 1) and after 13 (step 12 was a proxy step): each continuation is bit for bit the uninterrupted
     * run, and the continued epoch's proxy log line counts the proxy steps of the whole epoch (12 and 16 of steps
     * 10-19: 2 in 10 steps), not only those since the stop.
     */
    @Test
    void aFilteredRunStoppedMidEpochContinuesBitForBit(@TempDir Path dir) throws Exception {
        TrainOptions options = TinyTraining.options("3", "--recipe", "96faster", "--epoch-eval", "false", "--compile",
                "none", "--tta", "0");
        Recorder straight = Recorder.uninterrupted();
        RunResult a = SYNTHETIC.trainer(options, straight).run(5, dir.resolve("straight"));
        for (int stepsDone : new int[] {11, 13}) {
            Path run = dir.resolve("stopped-" + stepsDone);
            StopSignal stop = new StopSignal();
            Recorder first = Recorder.stoppingAfterStep(stepsDone - 1, stop);
            TrainingStoppedException e = assertThrows(TrainingStoppedException.class,
                    () -> SYNTHETIC.trainer(options, first, stop).run(5, run));
            assertEquals(stepsDone, e.steps());
            Checkpoint.Header header = Checkpoint.read(run.resolve("checkpoint.bin")).header();
            assertEquals(stepsDone - 10, header.epochSoFar().steps());
            assertEquals(stepsDone - 10 == 1 ? 0.0 : 1.0, header.epochSoFar().stepSums().get("proxy_steps"),
                    "proxy steps of epoch 2 so far (step 12 is one)");

            Recorder second = Recorder.uninterrupted();
            RunResult b;
            try (LogCapture log = new LogCapture()) {
                b = SYNTHETIC.trainer(options, second).run(5, run);
                assertTrue(log.text().contains("epoch 2: proxy loss") && log.text().contains("2 proxy steps in 10 steps"),
                        log.text());
            }
            TinyTraining.assertSameLosses(straight, first, second, stepsDone, 30);
            TinyTraining.assertSameHistory(a.history(), b.history());
            TinyTraining.assertSameFinalWeights(dir.resolve("straight"), run);
        }
    }
}

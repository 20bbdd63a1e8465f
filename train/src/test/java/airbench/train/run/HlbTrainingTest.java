package airbench.train.run;

import airbench.data.CifarDataset;
import airbench.eval.Evaluator;
import airbench.eval.ExportedModel;
import airbench.model.SavedModelExport;
import airbench.model.PatchWhitening;
import airbench.train.EpochRecord;
import airbench.train.Recipe;
import airbench.train.RunResult;
import airbench.train.StopSignal;
import airbench.train.SyntheticCifar;
import airbench.train.TinyTraining;
import airbench.train.TrainingStoppedException;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Recipe hlb (docs/METHOD.md section 13) through the trainer on synthetic data: the narrow network, 10 steps of 256
 * per epoch, and the recipe's own pieces, with CutMix from epoch 1 and the slow copy taken after step 15 so that
 * a run of a few epochs has them all. Its resumption after epochs 1 and 2: {@code RecipeResumeTest}.
 */
class HlbTrainingTest {
    private static final TinyTraining.SyntheticImages SYNTHETIC = TinyTraining.syntheticImages(TinyTraining.TRAIN_IMAGES);

    /** hlb's options for the tiny training, the recipe with CutMix from epoch 1 and Lookahead from step 15. */
    static TrainOptions tinyHlb(String epochs) {
        TrainOptions o = TinyTraining.options(epochs, "--recipe", "hlb", "--epoch-eval", "false", "--compile", "none");
        Recipe recipe = o.recipe().toBuilder().cutmixFromEpoch(1).lookaheadStart(15).build();
        return new TrainOptions(recipe, o.seed(), o.runs(), o.dataDir(), o.dataset(), o.execution(), o.oneDnn(),
                o.threads(), o.trainSubset(), o.epochEval(), o.output(), o.resume(), o.export(), o.overwriteExport(),
                o.raw());
    }

    @Test
    void aTinyHlbTrainingLearns(@TempDir Path dir) throws Exception {
        TinyTraining.Recorder recorder = TinyTraining.Recorder.uninterrupted();
        RunResult result = SYNTHETIC.trainer(tinyHlb("4"), recorder).run(2, dir.resolve("seed-2"));
        List<EpochRecord> history = result.history();
        assertEquals("hlb", result.recipe());
        assertEquals(40, result.steps());
        assertEquals(List.of("0", "1"), List.copyOf(result.accuracyByTtaLevel().keySet()), "TTA level 1");
        // The first step has lr 0 (the schedule starts at 0): its loss is the untrained network's, about ln 10.
        assertTrue(recorder.losses.get(39) < 0.5 * recorder.losses.get(0), "training loss should fall: "
                + recorder.losses.get(0) / 256 + " -> " + recorder.losses.get(39) / 256);
        assertTrue(history.get(3).trainLoss() < history.get(0).trainLoss(), "epoch losses should fall: " + history);
        assertTrue(result.ttaAccuracy() > 0.5, "10 classes: chance is 0.1, got " + result.ttaAccuracy());
        Map<String, float[]> weights = Checkpoint.read(dir.resolve("seed-2/model-weights.bin")).state();
        assertArrayEquals(new float[24], weights.get("whiten/bias"), "no whitening bias: it never trains");
        // The export is as every recipe's: its signatures, and the run's accuracy at TTA level 1 from it.
        try (ExportedModel exported = ExportedModel.load(dir.resolve("seed-2/model"))) {
            assertTrue(exported.signatures().containsAll(List.of(SavedModelExport.SERVING_SIGNATURE,
                    SavedModelExport.NORMALIZED_SIGNATURE, SavedModelExport.TTA_SIGNATURE)), exported.signatures()
                    .toString());
            CifarDataset test = SYNTHETIC.test();
            double accuracy = new Evaluator(exported, 2000).evaluate(test.dataset().normalization().apply(test.images()),
                    test.labels(), 10, 1).accuracy();
            assertEquals(result.accuracyByTtaLevel().get("1"), accuracy, 1e-9);
        }
    }

    /**
     * The slow copy at the checkpoints of a run interrupted after epoch 1 (step 10, before the copy is taken at step
     * 15) and after epoch 2 (step 20, after it and after the blend there); {@code RecipeResumeTest} resumes that run.
     */
    static void assertTheSlowCopyAcrossItsStart(Checkpoint.Contents atStep10, Checkpoint.Contents atStep20) {
        // Before its start the slow copy is still the starting point, not the fast weights of step 10.
        assertFalse(Arrays.equals(atStep10.state().get("head/kernel"), atStep10.state().get("lookahead/head/kernel")));
        // Taken at 15 and blended at 20 (fast = slow after a blend): the copy and the weights agree.
        for (String name : List.of("head/kernel", "block2/conv1/kernel", "block1/norm1/mean")) {
            assertArrayEquals(atStep20.state().get(name), atStep20.state().get("lookahead/" + name), name);
        }
    }

    /**
     * Stopped twice in the middle of an epoch, with CutMix on: after 12 steps (before the slow copy is taken at 15)
     * and after 17 (after it, between two blends), then finished: every step's loss, the history and the final
     * weights are the uninterrupted run's.
     */
    @Test
    void stoppingMidEpochBeforeAndAfterTheLookaheadStartIsBitExact(@TempDir Path dir) throws Exception {
        TrainOptions options = tinyHlb("3");
        TinyTraining.Recorder straight = TinyTraining.Recorder.uninterrupted();
        RunResult a = SYNTHETIC.trainer(options, straight).run(7, dir.resolve("straight"));

        Path stopped = dir.resolve("stopped");
        StopSignal stop1 = new StopSignal();
        TinyTraining.Recorder first = TinyTraining.Recorder.stoppingAfterStep(11, stop1);
        assertThrows(TrainingStoppedException.class, () -> SYNTHETIC.trainer(options, first, stop1).run(7, stopped));
        StopSignal stop2 = new StopSignal();
        TinyTraining.Recorder second = TinyTraining.Recorder.stoppingAfterStep(16, stop2);
        assertThrows(TrainingStoppedException.class, () -> SYNTHETIC.trainer(options, second, stop2).run(7, stopped));
        assertEquals(17, Checkpoint.read(stopped.resolve("checkpoint.bin")).header().steps());

        TinyTraining.Recorder third = TinyTraining.Recorder.uninterrupted();
        RunResult b = SYNTHETIC.trainer(options, third).run(7, stopped);
        assertEquals(2, b.resumedTimes());
        TinyTraining.assertSameLosses(straight, 30, List.of(first, second, third), 12, 17);
        TinyTraining.assertSameHistory(a.history(), b.history());
        TinyTraining.assertSameFinalWeights(dir.resolve("straight"), stopped);
    }

    /**
     * The whitening of a run normalizes its images in chunks of 5,000: on 6,000 images hlb's centred filters are
     * those of all of them normalized at once, and airbench94's those of its first 5,000, as before the chunks.
     */
    @Test
    void theWhiteningOfARunIsThatOfItsImagesNormalizedAtOnce() {
        CifarDataset train = SyntheticCifar.make("train", 6000, 3);
        float[] all = train.dataset().normalization().apply(train.images());
        float[] expected = PatchWhitening.whiten(new PatchWhitening.Moments().add(all, 6000), true, 1e-2).kernel();
        assertArrayEquals(expected, Recipe.HLB.whiteningFilters(train));
        float[] first5000 = Arrays.copyOf(all, 5000 * CifarDataset.IMAGE_BYTES);
        assertArrayEquals(PatchWhitening.filters(first5000, 5000, 5e-4), Recipe.AIRBENCH94.whiteningFilters(train));
    }
}

package airbench.train.run;

import airbench.data.CifarDataset;
import airbench.eval.Evaluator;
import airbench.eval.ExportedModel;
import airbench.eval.SelectiveTta;
import airbench.model.MuonRenormalization;
import airbench.model.MuonSpec;
import airbench.train.EpochRecord;
import airbench.train.Recipe;
import airbench.train.RunResult;
import airbench.train.TinyTraining;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Recipe 94hiverge (docs/METHOD.md section 14) through the trainer on synthetic data: the narrow network, 10 steps
 * of 256 per epoch, and every piece of the recipe (colour jitter, SiLU, BatchNorm memory 0.5566, whitening from the
 * first 960 images with its bias trained ceil(7/32 * 10) = 3 steps, label smoothing 0.09, its Muon with the
 * renormalization flag fed per step). Its resumption after epochs 1 and 2: {@code RecipeResumeTest}.
 */
class HivergeTrainingTest {
    private static final TinyTraining.SyntheticImages SYNTHETIC = TinyTraining.syntheticImages(TinyTraining.TRAIN_IMAGES);

    /** 94hiverge's options for the tiny training. */
    static TrainOptions tinyHiverge(String epochs) {
        return TinyTraining.options(epochs, "--recipe", "94hiverge", "--epoch-eval", "false", "--compile", "none");
    }

    private static TrainOptions withRecipe(TrainOptions o, Recipe recipe) {
        return new TrainOptions(recipe, o.seed(), o.runs(), o.dataDir(), o.dataset(), o.execution(), o.oneDnn(),
                o.threads(), o.trainSubset(), o.epochEval(), o.output(), o.resume(), o.export(), o.overwriteExport(),
                o.raw());
    }

    @Test
    void aTinyHivergeTrainingLearnsAndFreezesItsWhiteningBiasAfterItsSteps(@TempDir Path dir) throws Exception {
        TrainOptions options = tinyHiverge("4");
        assertEquals("94hiverge", options.recipe().name());
        assertEquals(256, options.recipe().optimizer().batchSize());
        TinyTraining.Recorder recorder = TinyTraining.Recorder.crashingAfterEpoch(1);
        Map<String, float[]> atStep10 = SYNTHETIC.runUntilCrash(options, recorder, 3, dir.resolve("seed-3")).state();
        TinyTraining.Recorder rest = TinyTraining.Recorder.uninterrupted();
        RunResult result = SYNTHETIC.trainer(options, rest).run(3, dir.resolve("seed-3"));
        assertEquals(40, result.steps());
        List<EpochRecord> history = result.history();
        assertTrue(rest.losses.get(39) < 0.5 * recorder.losses.get(0), "training loss should fall: "
                + recorder.losses.get(0) / 256 + " -> " + rest.losses.get(39) / 256);
        assertTrue(history.get(3).trainLoss() < history.get(0).trainLoss(), "epoch losses should fall: " + history);
        assertTrue(result.ttaAccuracy() > 0.5, "10 classes: chance is 0.1, got " + result.ttaAccuracy());
        // The whitening bias trained (it left 0) in its 3 steps and has not moved since: step 10 and the end agree.
        float[] bias = Checkpoint.read(dir.resolve("seed-3/model-weights.bin")).state().get("whiten/bias");
        assertArrayEquals(atStep10.get("whiten/bias"), bias);
        assertFalse(Arrays.equals(new float[24], bias), "the whitening bias never trained");

        // The final figure is selective TTA of a quarter of the test images, beside the plain accuracy (level 0),
        // and the exported model gives it through the documented client-side combination of its plain logits.
        assertEquals(0.25, result.selectiveTta());
        assertEquals(0, result.ttaLevel());
        assertEquals(List.of("0"), List.copyOf(result.accuracyByTtaLevel().keySet()));
        try (ExportedModel exported = ExportedModel.load(dir.resolve("seed-3/model"))) {
            CifarDataset test = SYNTHETIC.test();
            float[] images = test.dataset().normalization().apply(test.images());
            SelectiveTta.Logits logits = new SelectiveTta(0.25).logits(exported, images, test.size(), 2000);
            assertEquals(125, logits.selected().length, "a quarter of 500");
            double selective = Evaluator.score(0, SelectiveTta.predictions(logits.selective(), 10), test.labels())
                    .accuracy();
            double plain = Evaluator.score(0, SelectiveTta.predictions(logits.plain(), 10), test.labels()).accuracy();
            assertEquals(result.ttaAccuracy(), selective, 1e-9);
            assertEquals(result.accuracyByTtaLevel().get("0"), plain, 1e-9);
        }
    }

    /**
     * The renormalization flag reaches the graph: with 30 steps the first renormalization is at Muon step 2, so
     * the first step of 94hiverge and of the same recipe renormalizing at every step differ, and the second step's
     * loss (the first one they see differently) does.
     */
    @Test
    void theFirstStepSkipsTheRenormalizationThatEveryStepWouldDo(@TempDir Path dir) throws Exception {
        TrainOptions options = tinyHiverge("3");
        assertFalse(new MuonRenormalization(2, 15).at(0, 30));
        MuonSpec hiverge = (MuonSpec) options.recipe().optimizer();
        MuonSpec everyStep = new MuonSpec(hiverge.batchSize(), hiverge.sgdMomentum(), hiverge.whitenBiasLr(),
                hiverge.normShiftLr(), hiverge.headLr(), hiverge.wdPerExample(), hiverge.muonLr(),
                hiverge.muonMomentum(), hiverge.muonWdPerExample(), hiverge.newtonSchulz(),
                MuonRenormalization.EVERY_STEP);
        TrainOptions renormalizingAlways = withRecipe(options, options.recipe().toBuilder().optimizer(everyStep)
                .epochs(0.2).build());
        TrainOptions twoSteps = withRecipe(options, options.recipe().toBuilder().epochs(0.2).build());
        TinyTraining.Recorder a = TinyTraining.Recorder.uninterrupted();
        TinyTraining.Recorder b = TinyTraining.Recorder.uninterrupted();
        SYNTHETIC.trainer(twoSteps, a).run(5, dir.resolve("skips"));
        SYNTHETIC.trainer(renormalizingAlways, b).run(5, dir.resolve("always"));
        assertEquals(a.losses.get(0), b.losses.get(0), 0.0, "the same start");
        assertNotEquals(a.losses.get(1), b.losses.get(1), "the first step's renormalization was not skipped");
    }
}

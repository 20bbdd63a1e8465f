package airbench.train;

import airbench.train.cli.Main;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import airbench.data.CifarDataset;
import airbench.data.CifarVariant;
import airbench.data.Normalization;
import airbench.eval.Evaluation;
import airbench.eval.Evaluator;
import airbench.eval.ExportedModel;
import airbench.model.CpuFeatures;
import airbench.model.ExecutionPlan;
import airbench.model.OptimizerSpec;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The library's public API on synthetic data ({@link SyntheticCifar}: ten easy classes): derived training sets
 * reach the training, the step count follows the size, equal seeds give identical networks, the trained model's
 * logits, probabilities, TTA and accuracies agree with independent computations, export, and closing.
 */
class TrainingApiTest {
    private static final int CLASSES = 10;
    private static CifarDataset train;
    private static CifarDataset test;
    /** Trained once on the synthetic set with its own labels, for the tests that only read a model. */
    private static TrainedModel model;

    @BeforeAll
    static void trainOnce() {
        train = SyntheticCifar.make("train", 2560, 1);
        test = SyntheticCifar.make("test", 500, 2);
        model = tiny(3).withSeed(5).run(train);
    }

    @AfterAll
    static void close() {
        if (model != null) {
            model.close();
        }
    }

    /** A narrow airbench94 at batch 256, plain fp32 graph, silent: 10 steps per epoch of 2,560 images. */
    private static Training tiny(double epochs) {
        Recipe recipe = Recipe.AIRBENCH94.toBuilder().widths(List.of(16, 32, 32))
                .batchSize(256).epochs(epochs).build();
        return Training.of(recipe).withExecution(ExecutionPlan.resolve("fp32", "none", CpuFeatures.detect()))
                .withThreads(2).withListener(new TrainingListener() {});
    }

    /** Records the run's start and every epoch. */
    private static final class Recorder implements TrainingListener {
        RunStart start;
        final List<EpochRecord> epochs = new ArrayList<>();
        final List<Double> losses = new ArrayList<>();

        @Override
        public void runStarted(RunStart s) {
            start = s;
        }

        @Override
        public void stepEnded(long seed, int step, double lossSum) {
            losses.add(lossSum);
        }

        @Override
        public void epochEnded(long seed, EpochRecord record) {
            epochs.add(record);
        }
    }

    @Test
    void theStepsPerEpochFollowTheSizeOfTheDerivedSet() {
        boolean[] half = new boolean[train.size()];
        Arrays.fill(half, 0, 1280, true);
        Recorder byMask = new Recorder();
        try (TrainedModel m = tiny(2).withListener(byMask).run(train.select(half))) {
            assertEquals(10, m.steps());  // 2 epochs x 1,280 / 256
            assertEquals(10, byMask.start.totalSteps());
            assertEquals(List.of(5, 10), byMask.epochs.stream().map(EpochRecord::steps).toList());
            assertEquals(m.history(), byMask.epochs);
        }
        Recorder byIndex = new Recorder();
        int[] indices = java.util.stream.IntStream.range(0, 1100).map(i -> 2559 - 2 * i).toArray();
        try (TrainedModel m = tiny(1.5).withListener(byIndex).run(train.select(indices))) {
            assertEquals(6, m.steps());  // ceil(1.5 x floor(1,100 / 256)) = ceil(1.5 x 4)
            assertEquals(List.of(4, 6), byIndex.epochs.stream().map(EpochRecord::steps).toList());
            assertNull(byIndex.start.runDir(), "a run of the library has no folder");
        }
    }

    @Test
    void aSetSmallerThanOneBatchIsRefusedBeforeAnyWork() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> tiny(1).run(train.first(255)));
        assertTrue(e.getMessage().contains("255 images, fewer than one batch of 256"), e.getMessage());
        CifarDataset hundred = new CifarDataset(CifarVariant.CIFAR100, "train", new byte[256 * CifarDataset.IMAGE_BYTES],
                new int[256], new int[256], CifarVariant.CIFAR100.wellKnownClassNames());
        IllegalArgumentException classes = assertThrows(IllegalArgumentException.class, () -> tiny(1).run(hundred));
        assertTrue(classes.getMessage().contains("100 classes") && classes.getMessage().contains("10 outputs"),
                classes.getMessage());
    }

    /** The command line refuses such a set through the same check, as a one-line error, before training. */
    @Test
    void theCommandLineRefusesASetSmallerThanOneBatch(@TempDir Path out) throws Exception {
        String shared = System.getProperty("airbench.shared.data");
        Path data = shared == null ? null : Path.of(shared, "cifar-10-binary.tar.gz");
        org.junit.jupiter.api.Assumptions.assumeTrue(data != null && Files.isRegularFile(data),
                "CIFAR-10 not in ../shared/data; skipping");
        String[] dryRun = {"--data-dir", data.toString(), "--train-subset", "1000", "--dry-run"};
        assertEquals(1, Main.run(dryRun));
        assertEquals(1, Main.run(new String[] {"--data-dir", data.toString(), "--train-subset", "1000",
                "--output", out.toString()}));
        try (java.util.stream.Stream<Path> files = Files.walk(out)) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().startsWith("seed-")), "a run folder was made");
        }
        assertEquals(0, Main.run(new String[] {"--data-dir", data.toString(), "--train-subset", "1000",
                "--batch-size", "500", "--dry-run"}));
    }

    /** Trained only on classes 0-4, the network never learned to answer 5-9, whatever the test image. */
    @Test
    void aMaskedTrainingLearnsOnlyTheImagesItWasGiven() {
        boolean[] firstFiveClasses = new boolean[train.size()];
        for (int i = 0; i < train.size(); i++) {
            firstFiveClasses[i] = train.labels()[i] < 5;
        }
        CifarDataset subset = train.select(firstFiveClasses);
        assertEquals(1280, subset.size());
        try (TrainedModel m = tiny(3).run(subset)) {
            int[] predicted = argMax(m.logits(test.images(), 0));
            long outside = Arrays.stream(predicted).filter(c -> c >= 5).count();
            assertTrue(outside <= test.size() / 100, outside + " of " + test.size() + " test images were given a class"
                    + " the training set did not contain");
        }
    }

    /** Labels mapped by c -> (c + 3) mod 10: the network learns the new mapping, not the old one. */
    @Test
    void newLabelsChangeWhatIsLearned() {
        int[] shifted = Arrays.stream(train.labels()).map(c -> (c + 3) % CLASSES).toArray();
        int[] shiftedTest = Arrays.stream(test.labels()).map(c -> (c + 3) % CLASSES).toArray();
        try (TrainedModel relabeled = tiny(3).withSeed(5).run(train.withLabels(shifted))) {
            double newMapping = relabeled.evaluate(test.withLabels(shiftedTest), 0).accuracy();
            double oldMapping = relabeled.evaluate(test, 0).accuracy();
            assertTrue(newMapping > 0.5, "accuracy against the shifted labels: " + newMapping);
            assertTrue(oldMapping < 0.2, "accuracy against the original labels: " + oldMapping);
        }
        double original = model.evaluate(test, 0).accuracy();
        assertTrue(original > 0.5, "the same training on the original labels: " + original);
    }

    @Test
    void equalSeedsGiveBitIdenticalNetworksAndOtherSeedsOthers() {
        float[] a;
        float[] b;
        float[] c;
        try (TrainedModel first = tiny(1).withSeed(11).run(train)) {
            a = first.logits(test.images(), 0);
        }
        try (TrainedModel second = tiny(1).withSeed(11).run(train)) {
            b = second.logits(test.images(), 0);
        }
        try (TrainedModel other = tiny(1).withSeed(12).run(train)) {
            c = other.logits(test.images(), 0);
        }
        assertArrayEquals(a, b, 0f, "two trainings with seed 11");
        assertFalse(Arrays.equals(a, c), "seeds 11 and 12 gave the same network");
    }

    @Test
    void labelSmoothingReachesTheLoss() {
        // Label smoothing is the loss's: changing it leaves the optimizer as it is.
        Recipe plain = Recipe.AIRBENCH94.toBuilder().labelSmoothing(0).build();
        assertEquals(0, plain.loss().labelSmoothing());
        assertEquals(Recipe.AIRBENCH94.optimizer(), plain.optimizer());
        assertEquals(Recipe.AIRBENCH94, plain.toBuilder().labelSmoothing(0.2).build());
        Recipe muon = Recipe.AIRBENCH94_MUON.toBuilder().labelSmoothing(0.1).build();
        assertEquals(0.1, muon.labelSmoothing());
        assertEquals(Recipe.AIRBENCH94_MUON.optimizer(), muon.optimizer());
        assertEquals(512, ((OptimizerSpec) Recipe.AIRBENCH94.toBuilder().batchSize(512).build().optimizer()).batchSize());

        // The first step starts from the same weights and batch; only the loss's targets differ.
        Recorder smoothed = new Recorder();
        Recorder unsmoothed = new Recorder();
        Training oneStep = tiny(0.1);
        oneStep.withListener(smoothed).run(train).close();
        oneStep.withRecipe(oneStep.recipe().toBuilder().labelSmoothing(0).build()).withListener(unsmoothed).run(train).close();
        assertEquals(1, smoothed.losses.size());
        assertTrue(Math.abs(smoothed.losses.get(0) - unsmoothed.losses.get(0)) > 1e-3,
                "label smoothing 0.2 and 0 gave the same first loss " + smoothed.losses.get(0));
    }

    @Test
    void accuraciesAreTheArgMaxOfTheLogitsAtEachLevel() {
        Map<Integer, Evaluation> byLevel = model.evaluateUpTo(test, 2);
        assertEquals(List.of(0, 1, 2), List.copyOf(byLevel.keySet()));
        for (int level = 0; level <= 2; level++) {
            int[] predicted = argMax(model.logits(test.images(), level));
            int correct = 0;
            for (int i = 0; i < test.size(); i++) {
                correct += predicted[i] == test.labels()[i] ? 1 : 0;
            }
            assertEquals(correct, byLevel.get(level).correct(), "level " + level);
            assertEquals(test.size(), byLevel.get(level).total());
            assertEquals(byLevel.get(level), model.evaluate(test, level));
        }
        assertTrue(byLevel.get(2).accuracy() > 0.5, "3 epochs on the synthetic classes: " + byLevel);
        assertThrows(IllegalArgumentException.class, () -> model.evaluate(test, 3));
    }

    /** Level 1 is the mean of the image's and its mirror's logits, the mirror made here byte by byte. */
    @Test
    void ttaLevelOneAveragesTheImageAndItsMirror() {
        byte[] images = test.images();
        byte[] mirrored = new byte[images.length];
        for (int i = 0; i < test.size(); i++) {
            for (int y = 0; y < 32; y++) {
                for (int x = 0; x < 32; x++) {
                    for (int c = 0; c < 3; c++) {
                        mirrored[((i * 32 + y) * 32 + (31 - x)) * 3 + c] = images[((i * 32 + y) * 32 + x) * 3 + c];
                    }
                }
            }
        }
        float[] plain = model.logits(images, 0);
        float[] mirror = model.logits(mirrored, 0);
        float[] level1 = model.logits(images, 1);
        assertEquals(test.size() * CLASSES, level1.length);
        for (int k = 0; k < level1.length; k++) {
            assertEquals(0.5f * plain[k] + 0.5f * mirror[k], level1[k], 1e-5f, "logit " + k);
        }
    }

    @Test
    void probabilitiesAreTheSoftmaxOfTheLogits() {
        float[] logits = model.logits(test.images(), 2);
        float[] probabilities = model.probabilities(test.images(), 2);
        for (int i = 0; i < test.size(); i++) {
            double sum = 0;
            for (int k = 0; k < CLASSES; k++) {
                sum += Math.exp(logits[i * CLASSES + k]);
            }
            double total = 0;
            for (int k = 0; k < CLASSES; k++) {
                assertEquals(Math.exp(logits[i * CLASSES + k]) / sum, probabilities[i * CLASSES + k], 1e-6);
                total += probabilities[i * CLASSES + k];
            }
            assertEquals(1, total, 1e-5, "row " + i);
        }
        assertThrows(IllegalArgumentException.class, () -> model.logits(new byte[CifarDataset.IMAGE_BYTES + 1], 0));
    }

    /** Logits are computed in batches of 2,000: each row lands where its image is, whatever the count. */
    @Test
    void logitsDoNotDependOnHowManyImagesAreAsked() {
        byte[] many = train.first(2100).images();
        float[] all = model.logits(many, 0);  // batches of 2,000 and 100
        float[] tail = model.logits(Arrays.copyOfRange(many, 2000 * CifarDataset.IMAGE_BYTES, many.length), 0);
        float[] head = model.logits(Arrays.copyOf(many, 3 * CifarDataset.IMAGE_BYTES), 0);
        assertEquals(2100 * CLASSES, all.length);
        assertArrayEquals(Arrays.copyOfRange(all, 2000 * CLASSES, 2100 * CLASSES), tail, 1e-5f);
        assertArrayEquals(Arrays.copyOf(all, 3 * CLASSES), head, 1e-5f);
    }

    @Test
    void theExportGivesTheModelsLogits(@TempDir Path dir) {
        Path export = dir.resolve("model");
        model.export(export, false);
        try (ExportedModel loaded = ExportedModel.load(export, 2)) {
            assertEquals(SyntheticCifar.CLASSES, loaded.classNames());
            float[] exported = loaded.logits(Normalization.normalize(test.images()), test.size());
            assertArrayEquals(model.logits(test.images(), 0), exported, 0f, "the export runs the same graph");
        }
        UncheckedIOException refused = assertThrows(UncheckedIOException.class, () -> model.export(export, false));
        assertTrue(refused.getMessage().contains(export.toString()), refused.getMessage());
        assertTrue(Files.isRegularFile(export.resolve("saved_model.pb")));
    }

    @Test
    void aClosedModelRefusesEveryUseWithAClearMessage(@TempDir Path dir) {
        TrainedModel m = tiny(0.1).run(train);
        assertEquals(1, m.steps());
        m.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> m.logits(test.images(), 0));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> m.probabilities(test.images(), 0));
        assertThrows(IllegalStateException.class, () -> m.evaluate(test, 0));
        assertThrows(IllegalStateException.class, () -> m.export(dir.resolve("model"), false));
        assertFalse(Files.exists(dir.resolve("model")));
        m.close();  // a second close does nothing
        assertEquals(1, m.steps(), "what was recorded stays readable");
    }

    @Test
    void aTrainingIsAValueWithTheCommandLinesDefaults() {
        Training defaults = Training.of(Recipe.AIRBENCH94);
        assertEquals(0, defaults.seed());
        assertEquals(Runtime.getRuntime().availableProcessors(), defaults.threads());
        assertEquals(ExecutionPlan.resolve("auto", "auto", CpuFeatures.detect()), defaults.execution());
        assertTrue(defaults.epochTest().isEmpty());
        Training changed = defaults.withSeed(3).withEpochEvaluation(test);
        assertEquals(0, defaults.seed(), "withSeed returns a new value");
        assertEquals(3, changed.seed());
        assertEquals(test, changed.epochTest().orElseThrow());
        assertThrows(IllegalArgumentException.class, () -> defaults.withThreads(0));
    }

    private static int[] argMax(float[] logits) {
        int[] predicted = new int[logits.length / CLASSES];
        for (int i = 0; i < predicted.length; i++) {
            predicted[i] = Evaluator.argMax(logits, i, CLASSES);
        }
        return predicted;
    }
}

package airbench.train;

import airbench.data.Batch;
import airbench.data.BatchPrefetcher;
import airbench.data.BatchSource;
import airbench.data.CifarDataset;
import airbench.data.Normalization;
import airbench.data.TrainingBatches;
import airbench.eval.Evaluation;
import airbench.eval.Evaluator;
import airbench.model.AirbenchModel;
import airbench.model.SavedModelExport;
import airbench.model.TensorFlowRuntime;
import airbench.tools.PatchWhitening;
import airbench.tools.Provenance;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The training loop of one run (METHOD.md sections 2-7): whitening, then
 * {@code totalSteps} optimizer steps fed by the Java batch pipeline, Lookahead
 * every fifth step (if the recipe's optimizer uses it), a checkpoint at every epoch end, the final copy of the slow
 * weights, and the TTA evaluation. A run folder that holds a checkpoint is
 * continued from it, giving the same result as a run never interrupted. What a step does with its
 * batch, the whole batch or the part a proxy network picks (96faster), is the recipe's {@link BatchStep}.
 */
public final class Trainer {
    private static final Logger LOG = LogManager.getLogger(Trainer.class);
    /** Evaluation batch size of the reference. */
    static final int EVAL_BATCH = 2000;
    /** Progress lines inside an epoch at most this often. */
    private static final long PROGRESS_EVERY_NANOS = 30_000_000_000L;

    private final TrainOptions options;
    private final CifarDataset train;
    private final float[] testImages;
    private final int[] testLabels;
    private final List<String> classNames;
    private final TrainingListener listener;

    /**
     * @param train the training images (already cut to the subset, if any)
     * @param test  the test set
     */
    public Trainer(TrainOptions options, CifarDataset train, CifarDataset test, TrainingListener listener) {
        this.options = options;
        this.train = train;
        this.testImages = Normalization.normalize(test.images());
        this.testLabels = test.labels();
        this.classNames = test.classNames();
        this.listener = listener;
    }

    /**
     * Trains (or continues) the run of {@code seed} in {@code runDir} and writes
     * {@code result.json} and the final weights there.
     */
    public RunResult run(long seed, Path runDir) throws java.io.IOException {
        long wallStart = System.nanoTime();
        // Taken now, not at the end: the code that runs is the code checked out when the run starts.
        Map<String, String> provenance = Provenance.collect();
        Map<String, Object> execution = new LinkedHashMap<>(options.execution().toMap());
        execution.putAll(TensorFlowRuntime.status().toMap());
        Recipe recipe = options.recipe();
        Files.createDirectories(runDir);
        Path checkpointFile = runDir.resolve(Checkpoint.FILE_NAME);
        TrainingBatches batches = new TrainingBatches(train, recipe.augment(), recipe.optimizer().batchSize(), seed);
        Schedule schedule = Schedule.of(recipe, batches.stepsPerEpoch());
        Map<String, Object> recipeMap = Json.toMap(recipe);
        BatchStep batchStep = BatchStep.of(recipe);

        try (AirbenchModel model = new AirbenchModel(recipe.network(), options.precision(), recipe.optimizer(),
                options.threads(), options.compile(), recipe.filter())) {
            Progress progress;
            if (Files.exists(checkpointFile)) {
                Checkpoint.Contents contents = Checkpoint.read(checkpointFile);
                checkCompatible(checkpointFile, contents.header(), recipeMap, seed);
                model.loadState(contents.state());
                progress = Progress.resumed(contents.header());
                LOG.info("resuming seed {} from {} at step {}/{} (epoch {})", seed, checkpointFile,
                        progress.steps, schedule.totalSteps(), schedule.epochOf(progress.steps) + 1);
            } else {
                progress = new Progress();
                long start = System.nanoTime();
                model.initialize(whiteningFilters(train), seed);
                progress.trainSeconds += seconds(System.nanoTime() - start);
            }

            listener.runStarted(new RunStart(seed, runDir, progress.steps, schedule.totalSteps(),
                    batchStep.imagesPerStep(), progress.trainSeconds, schedule::lrMultiplier,
                    model::networkState, RunStart.shapesOf(model.stateShapes())));
            trainSteps(model, batchStep, batchStep.batches(batches), schedule, progress, seed, runDir, recipeMap, wallStart);

            long evalStart = System.nanoTime();
            model.lookahead(1.0);  // the evaluated and exported model is the slow copy (without Lookahead: a no-op)
            Map<Integer, Evaluation> byLevel = evaluator(model).evaluateLevels(testImages, testLabels,
                    recipe.network().numClasses(), levelsUpTo(recipe.ttaLevel()));
            progress.trainSeconds += seconds(System.nanoTime() - evalStart);

            Map<String, Double> accuracies = new LinkedHashMap<>();
            byLevel.forEach((level, e) -> accuracies.put(String.valueOf(level), e.accuracy()));
            double wall = progress.wallSecondsBefore + seconds(System.nanoTime() - wallStart);
            RunResult result = new RunResult(recipe.name(), seed, recipe.epochs(), options.raw(), recipeMap,
                    List.copyOf(progress.history), byLevel.get(recipe.ttaLevel()).accuracy(), recipe.ttaLevel(),
                    accuracies, progress.trainSeconds, wall, progress.steps, progress.resumedTimes,
                    progress.batchWaitSeconds, provenance, execution);
            ModelWeights.write(runDir.resolve(ModelWeights.FILE_NAME), model.networkState());
            Path export = options.exportFolder(seed, runDir);
            SavedModelExport.export(recipe.network(), options.precision(), model.networkState(), classNames, export,
                    options.overwriteExport());
            LOG.info("exported the final model to {}", export);
            Json.write(runDir.resolve("result.json"), result);
            Files.deleteIfExists(checkpointFile);
            listener.runEnded(result);
            return result;
        }
    }

    private void trainSteps(AirbenchModel model, BatchStep batchStep, BatchSource batches, Schedule schedule,
                            Progress progress, long seed, Path runDir, Map<String, Object> recipeMap, long wallStart) {
        int imagesPerStep = batchStep.imagesPerStep();
        if (progress.steps >= schedule.totalSteps()) {
            return;
        }
        try (BatchPrefetcher prefetcher = BatchPrefetcher.fromStep(batches, progress.steps,
                schedule.totalSteps() - progress.steps)) {
            EpochTotals epoch = new EpochTotals();
            long lastProgress = System.nanoTime();
            long stepsStart = System.nanoTime();
            while (progress.steps < schedule.totalSteps()) {
                int step = progress.steps;
                long start = System.nanoTime();
                Batch batch = prefetcher.next();
                AirbenchModel.StepResult r = batchStep.take(model, batch, step, schedule);
                double stepSeconds = seconds(System.nanoTime() - start);
                if (!Double.isFinite(r.lossSum())) {
                    throw new TrainingDivergedException("the training loss became " + r.lossSum() + " at step "
                            + (step + 1) + " (epoch " + (schedule.epochOf(step) + 1) + ") of seed " + seed
                            + "; the run diverged. Check the data (a degraded copy can do this) or lower the"
                            + " learning rate; the last good checkpoint is in " + runDir);
                }
                progress.steps++;
                progress.trainSeconds += stepSeconds;
                listener.stepEnded(seed, step, r.lossSum());
                epoch.add(r, imagesPerStep);

                long now = System.nanoTime();
                boolean epochEnd = progress.steps % schedule.stepsPerEpoch() == 0
                        || progress.steps == schedule.totalSteps();
                if (!epochEnd && now - lastProgress > PROGRESS_EVERY_NANOS) {
                    lastProgress = now;
                    listener.progress(seed, progress.steps, schedule.totalSteps(), r.lossSum() / imagesPerStep,
                            seconds(now - stepsStart) / epoch.steps);
                }
                if (epochEnd) {
                    progress.batchWaitSeconds += seconds(prefetcher.consumerWait().toNanos()) - progress.batchWaitAtEpochStart;
                    progress.batchWaitAtEpochStart = seconds(prefetcher.consumerWait().toNanos());
                    Double testAccuracy = options.epochEval() ? evaluator(model).evaluate(testImages, testLabels,
                            options.recipe().network().numClasses(), 0).accuracy() : null;
                    EpochRecord record = new EpochRecord(schedule.epochOf(progress.steps - 1) + 1, progress.steps,
                            epoch.lossSum / epoch.images, (double) epoch.correct / epoch.images, testAccuracy,
                            progress.trainSeconds);
                    progress.history.add(record);
                    double wall = progress.wallSecondsBefore + seconds(System.nanoTime() - wallStart);
                    Checkpoint.write(runDir.resolve(Checkpoint.FILE_NAME), new Checkpoint.Header(recipeMap, seed,
                            progress.steps, List.copyOf(progress.history), progress.trainSeconds, wall,
                            progress.resumedTimes, progress.batchWaitSeconds), model.state());
                    listener.epochEnded(seed, record);
                    epoch = new EpochTotals();
                    stepsStart = System.nanoTime();
                    lastProgress = stepsStart;
                }
            }
            LOG.info("seed {}: the training loop waited {} s in total for the Java batch pipeline over {} steps"
                            + " (batch production took {} s, overlapped with the graph)", seed,
                    String.format("%.2f", seconds(prefetcher.consumerWait().toNanos())), schedule.totalSteps(),
                    String.format("%.1f", seconds(prefetcher.production().toNanos())));
        }
    }

    /** The whitening filters of a run: from the first 5,000 normalized training images (METHOD.md section 4). */
    static float[] whiteningFilters(CifarDataset train) {
        int whitenImages = Math.min(Recipe.WHITEN_IMAGES, train.size());
        float[] sample = Normalization.normalize(train.images(), 0, whitenImages * CifarDataset.IMAGE_BYTES);
        return PatchWhitening.filters(sample, whitenImages, Recipe.WHITEN_EPSILON);
    }

    private Evaluator evaluator(AirbenchModel model) {
        return new Evaluator(model::logits, EVAL_BATCH);
    }

    private static void checkCompatible(Path file, Checkpoint.Header header, Map<String, Object> recipeMap, long seed) {
        if (!header.recipe().equals(recipeMap)) {
            List<String> differences = new ArrayList<>();
            for (String key : recipeMap.keySet()) {
                if (!java.util.Objects.equals(recipeMap.get(key), header.recipe().get(key))) {
                    differences.add(key + " " + header.recipe().get(key) + " (checkpoint) vs " + recipeMap.get(key)
                            + " (now)");
                }
            }
            throw new IllegalStateException("checkpoint " + file + " belongs to another configuration: "
                    + String.join("; ", differences) + ". Resume with the options the run was started with, or"
                    + " start a new run in another folder.");
        }
        if (header.seed() != seed) {
            throw new IllegalStateException("checkpoint " + file + " is of seed " + header.seed() + ", not " + seed);
        }
    }

    private static int[] levelsUpTo(int level) {
        int[] levels = new int[level + 1];
        for (int i = 0; i <= level; i++) {
            levels[i] = i;
        }
        return levels;
    }

    private static double seconds(long nanos) {
        return nanos / 1e9;
    }

    /** What a checkpoint carries across an interruption. */
    private static final class Progress {
        int steps;
        double trainSeconds;
        double wallSecondsBefore;
        int resumedTimes;
        double batchWaitSeconds;
        double batchWaitAtEpochStart;
        final List<EpochRecord> history = new ArrayList<>();

        static Progress resumed(Checkpoint.Header header) {
            Progress p = new Progress();
            p.steps = header.steps();
            p.trainSeconds = header.trainSeconds();
            p.wallSecondsBefore = header.wallSeconds();
            p.resumedTimes = header.resumedTimes() + 1;
            p.batchWaitSeconds = header.batchWaitSeconds();
            p.history.addAll(header.history());
            return p;
        }
    }

    /** Sums over the steps of the current epoch. */
    private static final class EpochTotals {
        double lossSum;
        long correct;
        long images;
        int steps;

        void add(AirbenchModel.StepResult r, int batchSize) {
            lossSum += r.lossSum();
            correct += r.correct();
            images += batchSize;
            steps++;
        }
    }
}

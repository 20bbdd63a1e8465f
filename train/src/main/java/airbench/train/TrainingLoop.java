package airbench.train;

import airbench.data.Batch;
import airbench.data.BatchPrefetcher;
import airbench.data.BatchSource;
import airbench.data.CifarDataset;
import airbench.data.TrainingBatches;
import airbench.eval.Evaluator;
import airbench.model.AirbenchModel;
import airbench.model.PatchWhitening;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The training loop of one run (docs/METHOD.md sections 2-7), the one path behind {@link Training#run} and the
 * command line's {@link SeedRun}: whitening, then {@code totalSteps} optimizer steps fed by the Java batch
 * pipeline, Lookahead every fifth step (if the recipe's optimizer uses it), and the final copy of the slow
 * weights. What the command line adds, a run folder with a checkpoint at every epoch end and the
 * continuation of a run from one, comes in as a {@link CheckpointStore}; the library's runs have none.
 */
final class TrainingLoop {
    private static final Logger LOG = LogManager.getLogger(TrainingLoop.class);
    /** Progress lines inside an epoch at most this often. */
    private static final long PROGRESS_EVERY_NANOS = 30_000_000_000L;

    private TrainingLoop() {}

    /**
     * Trains (or continues, from {@code folder}'s checkpoint) the run of {@code training} on {@code train}.
     * The returned model owns the TensorFlow session; on failure the session is closed here.
     */
    static TrainedModel run(Training training, CifarDataset train, CheckpointStore folder) {
        Recipe recipe = training.recipe();
        checkTrainable(train, recipe);
        long seed = training.seed();
        TrainingBatches batches = new TrainingBatches(train, recipe.augment(), recipe.optimizer().batchSize(), seed);
        Schedule schedule = Schedule.of(recipe, batches.stepsPerEpoch());
        BatchStep batchStep = BatchStep.of(recipe);
        AirbenchModel model = new AirbenchModel(recipe.network(), training.execution().precision(), recipe.optimizer(),
                recipe.loss(), training.threads(), training.execution().compilation(), recipe.filter());
        try {
            Progress progress;
            Optional<CheckpointStore.Saved> saved = folder.resumeFrom();
            if (saved.isPresent()) {
                model.loadState(saved.get().variables());
                progress = Progress.resumed(saved.get().progress());
                LOG.info("seed {} continues at step {}/{} (epoch {})", seed, progress.steps, schedule.totalSteps(),
                        schedule.epochOf(progress.steps) + 1);
            } else {
                progress = new Progress();
                long start = System.nanoTime();
                model.initialize(whiteningFilters(train, recipe), seed);
                progress.trainSeconds += seconds(System.nanoTime() - start);
            }
            TrainingListener listener = training.listener();
            listener.runStarted(new RunStart(seed, folder.folder().orElse(null), progress.steps, schedule.totalSteps(),
                    batchStep.imagesPerStep(), progress.trainSeconds, schedule::lrMultiplier,
                    model::networkState, RunStart.shapesOf(model.stateShapes())));
            float[] testImages = training.epochTest().map(t -> t.dataset().normalization().apply(t.images())).orElse(null);
            int[] testLabels = training.epochTest().map(CifarDataset::labels).orElse(null);
            trainSteps(training, model, batchStep, batchStep.batches(batches), schedule, progress, folder, testImages,
                    testLabels);

            if (schedule.endsOnSlowCopy()) {
                long start = System.nanoTime();
                model.lookahead(1.0);  // the evaluated and exported model is the slow copy
                progress.trainSeconds += seconds(System.nanoTime() - start);
            }
            return new TrainedModel(model, recipe, seed, training.execution().precision(), train.dataset(),
                    train.classNames(), progress);
        } catch (RuntimeException | Error e) {
            model.close();
            throw e;
        }
    }

    /**
     * Refuses a training set without one full batch: an epoch drops its incomplete batch, so it would have
     * no step at all; and labels of another dataset than the network's classes.
     */
    static void checkTrainable(CifarDataset train, Recipe recipe) {
        int batch = recipe.optimizer().batchSize();
        if (train.size() < batch) {
            throw new IllegalArgumentException("the training set holds " + train.size() + " images, fewer than one"
                    + " batch of " + batch + " (recipe " + recipe.name() + "): an epoch drops its last incomplete"
                    + " batch, so it would have no step. Train on at least " + batch + " images, or use a smaller"
                    + " batch (Recipe.Builder.batchSize, --batch-size).");
        }
        if (train.numClasses() != recipe.network().numClasses()) {
            throw new IllegalArgumentException("the training set is " + train.dataset().displayName() + " with "
                    + train.numClasses() + " classes, but recipe " + recipe.name() + "'s network has "
                    + recipe.network().numClasses() + " outputs; size the head with Recipe.Builder.numClasses"
                    + " (the command line's --dataset does)");
        }
    }

    private static void trainSteps(Training training, AirbenchModel model, BatchStep batchStep, BatchSource batches,
                                   Schedule schedule, Progress progress, CheckpointStore folder, float[] testImages,
                                   int[] testLabels) {
        Recipe recipe = training.recipe();
        TrainingListener listener = training.listener();
        long seed = training.seed();
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
                            + " learning rate" + folder.folder().map(dir -> "; the last good checkpoint is in " + dir).orElse(""));
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
                    Double testAccuracy = testImages != null ? new Evaluator(model::logits, recipe.evalBatch()).evaluate(testImages,
                            testLabels, recipe.network().numClasses(), 0).accuracy() : null;
                    EpochRecord record = new EpochRecord(schedule.epochOf(progress.steps - 1) + 1, progress.steps,
                            epoch.lossSum / epoch.images, (double) epoch.correct / epoch.images, testAccuracy,
                            progress.trainSeconds);
                    progress.history.add(record);
                    folder.epochEnded(progress.snapshot(), model::state);
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

    /** Images normalized at a time for the whitening (61 MB of floats), not all 50,000 at once (614 MB). */
    private static final int WHITEN_CHUNK = 5000;

    /**
     * The whitening filters of a run: from the recipe's first training images, normalized with the dataset's
     * constants, by their second moment or (hlb) their centred covariance (docs/METHOD.md sections 4 and 13).
     */
    static float[] whiteningFilters(CifarDataset train, Recipe recipe) {
        int whitenImages = Math.min(recipe.whitenImages(), train.size());
        PatchWhitening.Moments moments = new PatchWhitening.Moments();
        for (int first = 0; first < whitenImages; first += WHITEN_CHUNK) {
            int count = Math.min(WHITEN_CHUNK, whitenImages - first);
            moments.add(train.dataset().normalization().apply(train.images(), first * CifarDataset.IMAGE_BYTES,
                    count * CifarDataset.IMAGE_BYTES), count);
        }
        return PatchWhitening.whiten(moments, recipe.whitenCentred(), recipe.whitenEpsilon()).kernel();
    }

    static double seconds(long nanos) {
        return nanos / 1e9;
    }

    /** The running {@link TrainingProgress} of the loop. */
    static final class Progress {
        int steps;
        double trainSeconds;
        int resumedTimes;
        double batchWaitSeconds;
        double batchWaitAtEpochStart;
        final List<EpochRecord> history = new ArrayList<>();

        static Progress resumed(TrainingProgress saved) {
            Progress p = new Progress();
            p.steps = saved.steps();
            p.trainSeconds = saved.trainSeconds();
            p.resumedTimes = saved.resumedTimes() + 1;
            p.batchWaitSeconds = saved.batchWaitSeconds();
            p.history.addAll(saved.history());
            return p;
        }

        TrainingProgress snapshot() {
            return new TrainingProgress(steps, trainSeconds, resumedTimes, batchWaitSeconds, history);
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

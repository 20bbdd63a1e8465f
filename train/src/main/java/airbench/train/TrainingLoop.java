package airbench.train;

import airbench.data.Batch;
import airbench.data.BatchPrefetcher;
import airbench.data.BatchSource;
import airbench.data.CifarDataset;
import airbench.data.TrainingBatches;
import airbench.eval.Evaluator;
import airbench.eval.LogitsFunction;
import airbench.model.AirbenchModel;
import airbench.model.PatchWhitening;
import airbench.model.Precision;
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
 *
 * <p>Between two steps it looks at the training's {@link StopSignal}: once requested, the state after the last
 * whole step (with the running totals of the epoch under way) goes to the store and the training ends with a
 * {@link TrainingStoppedException}. Continuing from any such checkpoint gives the training never stopped, bit for
 * bit: the batches are a pure function of (seed, step), the graph's variables hold the rest. A stop at an epoch's
 * end does not wait for that epoch's test evaluation (seconds on a CPU, longer than a step): the evaluation
 * changes no weight, so the checkpoint keeps the finished epoch's totals and the continuation evaluates the same
 * weights before its first step.
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
                progress = Progress.resumed(saved.get().progress(), schedule, seed);
                progress.resumedFrom = saved.get().file();
                progress.resumedAtStep = progress.steps;
                batchStep.continueEpoch(progress.resumedEpoch.stepSums());
                LOG.info("seed {} continues at step {}/{} ({})", seed, progress.steps, schedule.totalSteps(),
                        where(schedule, progress.steps, progress.resumedEpoch.steps()));
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
        TrainingListener listener = training.listener();
        StopSignal stop = training.stop();
        long seed = training.seed();
        int imagesPerStep = batchStep.imagesPerStep();
        int saveEvery = folder.saveEverySteps();
        EpochTotals pending = EpochTotals.continuing(progress.resumedEpoch);
        if (pending.steps > 0 && schedule.endsEpoch(progress.steps)) {
            // A stop came at this epoch's end, before its evaluation: the weights are those the evaluation needs.
            if (!endEpoch(training, model, schedule, progress, pending, folder, testImages, testLabels)) {
                throw stopped(training, model, batchStep, schedule, progress, pending, progress.batchWaitSeconds,
                        folder);
            }
            pending = new EpochTotals();
        }
        if (progress.steps >= schedule.totalSteps()) {
            return;
        }
        try (BatchPrefetcher prefetcher = BatchPrefetcher.fromStep(batches, progress.steps,
                schedule.totalSteps() - progress.steps)) {
            EpochTotals epoch = pending;
            long lastProgress = System.nanoTime();
            long stepsStart = System.nanoTime();
            int timedSteps = 0;
            while (progress.steps < schedule.totalSteps()) {
                // Between steps, the one place a stop is honoured: the state here is a whole step's.
                if (stop.requested()) {
                    throw stopped(training, model, batchStep, schedule, progress, epoch,
                            batchWaitSoFar(progress, prefetcher), folder);
                }
                int step = progress.steps;
                long start = System.nanoTime();
                Batch batch = prefetcher.next();
                AirbenchModel.StepResult r = batchStep.take(model, batch, step, schedule);
                double stepSeconds = seconds(System.nanoTime() - start);
                if (!Double.isFinite(r.lossSum())) {
                    throw new TrainingDivergedException(divergedMessage(r.lossSum(), step, schedule.epochOf(step),
                            seed, training.execution().precision(), folder.folder()));
                }
                progress.steps++;
                progress.trainSeconds += stepSeconds;
                timedSteps++;
                listener.stepEnded(seed, step, r.lossSum());
                epoch.add(r, imagesPerStep);

                long now = System.nanoTime();
                boolean epochEnd = schedule.endsEpoch(progress.steps);
                if (!epochEnd && now - lastProgress > PROGRESS_EVERY_NANOS) {
                    lastProgress = now;
                    listener.progress(seed, progress.steps, schedule.totalSteps(), r.lossSum() / imagesPerStep,
                            seconds(now - stepsStart) / timedSteps);
                }
                if (epochEnd) {
                    progress.batchWaitSeconds = batchWaitSoFar(progress, prefetcher);
                    progress.batchWaitAtEpochStart = seconds(prefetcher.consumerWait().toNanos());
                    if (!endEpoch(training, model, schedule, progress, epoch, folder, testImages, testLabels)) {
                        throw stopped(training, model, batchStep, schedule, progress, epoch,
                                progress.batchWaitSeconds, folder);
                    }
                    epoch = new EpochTotals();
                    stepsStart = System.nanoTime();
                    lastProgress = stepsStart;
                    timedSteps = 0;
                } else if (saveEvery > 0 && progress.steps % saveEvery == 0) {
                    progress.saved(folder.save(progress.snapshot(epoch.soFar(batchStep),
                            batchWaitSoFar(progress, prefetcher)), model::state));
                }
            }
            if (stop.requested()) {
                // Asked during the last step: its epoch-end checkpoint holds the run before the final Lookahead copy.
                throw stopped(training, model, batchStep, schedule, progress, epoch,
                        batchWaitSoFar(progress, prefetcher), folder);
            }
            LOG.info("seed {}: the training loop waited {} s in total for the Java batch pipeline over {} steps"
                            + " (batch production took {} s, overlapped with the graph)", seed,
                    String.format("%.2f", seconds(prefetcher.consumerWait().toNanos())), schedule.totalSteps(),
                    String.format("%.1f", seconds(prefetcher.production().toNanos())));
        }
    }

    /**
     * What a run whose loss sum became {@code lossSum} at (0-based) {@code step} of {@code epoch} is told. Under
     * bf16 it also says how to rule bfloat16 out: a faulty bf16 kernel of oneDNN has made runs diverge before
     * (docs/RESULTS.md, bfloat16 on Zen 5), and the same run in fp32 separates that from bad data or too high a
     * learning rate.
     */
    static String divergedMessage(double lossSum, int step, int epoch, long seed, Precision precision,
                                  Optional<Path> checkpoints) {
        return "the training loss became " + lossSum + " at step " + (step + 1) + " (epoch " + (epoch + 1)
                + ") of seed " + seed + "; the run diverged. Check the data (a degraded copy can do this) or lower the"
                + " learning rate"
                + (precision == Precision.BF16 ? "; the convolutions ran in bfloat16: the same run with --precision"
                        + " fp32 tells whether that is the cause" : "")
                + checkpoints.map(dir -> "; the last good checkpoint is in " + dir).orElse("");
    }

    /**
     * The end of an epoch whose steps are all done: its test evaluation (if the training has a test set), its
     * record, its checkpoint and its report. Returns false, having done none of it, when a stop is requested
     * before or during the evaluation; the caller then keeps the epoch's totals for the continuation to end it.
     */
    private static boolean endEpoch(Training training, AirbenchModel model, Schedule schedule, Progress progress,
                                    EpochTotals epoch, CheckpointStore folder, float[] testImages, int[] testLabels) {
        Recipe recipe = training.recipe();
        Double testAccuracy = null;
        if (testImages != null) {
            try {
                testAccuracy = new Evaluator(unlessStopped(model::logits, training.stop()), recipe.evalBatch())
                        .evaluate(testImages, testLabels, recipe.network().numClasses(), 0).accuracy();
            } catch (EvaluationStopped e) {
                return false;
            }
        }
        EpochRecord record = new EpochRecord(schedule.epochOf(progress.steps - 1) + 1, progress.steps,
                epoch.lossSum / epoch.images, (double) epoch.correct / epoch.images, testAccuracy,
                progress.trainSeconds);
        progress.history.add(record);
        progress.saved(folder.save(progress.snapshot(EpochSoFar.NONE, progress.batchWaitSeconds), model::state));
        training.listener().epochEnded(training.seed(), record);
        return true;
    }

    /**
     * {@code model}, refusing to run once {@code stop} is requested: an evaluation through it ends at the batch
     * after the request (one evaluation batch, less than a training step) with {@link EvaluationStopped}.
     */
    static LogitsFunction unlessStopped(LogitsFunction model, StopSignal stop) {
        return (images, count) -> {
            if (stop.requested()) {
                throw new EvaluationStopped();
            }
            return model.logits(images, count);
        };
    }

    /** Ends an epoch-end test evaluation that a stop request overtook; {@link #endEpoch} catches it. */
    static final class EvaluationStopped extends RuntimeException {
        EvaluationStopped() {
            super("stop requested during the epoch's test evaluation", null, false, false);
        }
    }

    /**
     * The training's state after its last whole step, handed to {@code folder} (unless the last save was at this
     * step already), as the exception that ends the training; {@code batchWait} is the seconds waited for batches
     * so far.
     */
    private static TrainingStoppedException stopped(Training training, AirbenchModel model, BatchStep batchStep,
                                                    Schedule schedule, Progress progress, EpochTotals epoch,
                                                    double batchWait, CheckpointStore folder) {
        Optional<Path> kept = progress.savedAt == progress.steps ? progress.savedFile
                : folder.save(progress.snapshot(epoch.soFar(batchStep), batchWait), model::state);
        String reason = training.stop().reason().orElse("a stop request");
        return TrainingStoppedException.afterStep(reason, training.seed(), progress.steps, schedule.totalSteps(),
                kept.orElse(null), where(schedule, progress.steps, epoch.steps));
    }

    /**
     * Where step count {@code steps} stands in the schedule, in words, for the log; {@code stepsIntoEpoch} are the
     * steps of the epoch under way, a whole epoch when a stop left its end (the evaluation) to the continuation.
     */
    static String where(Schedule schedule, int steps, int stepsIntoEpoch) {
        if (stepsIntoEpoch > 0 && schedule.endsEpoch(steps)) {
            return (steps >= schedule.totalSteps() ? "every step done, " : "")
                    + "epoch " + (schedule.epochOf(steps - 1) + 1) + "'s steps done, its test evaluation left to"
                    + " the continuation";
        }
        if (steps >= schedule.totalSteps()) {
            return "every step done";
        }
        int epoch = schedule.epochOf(steps) + 1;
        int epochSteps = Math.min(schedule.stepsPerEpoch(), schedule.totalSteps() - (steps - stepsIntoEpoch));
        return stepsIntoEpoch == 0 ? "at the start of epoch " + epoch
                : "epoch " + epoch + ", " + stepsIntoEpoch + " of its " + epochSteps + " steps done";
    }

    /** Seconds the loop waited for batches up to now, over the whole training. */
    private static double batchWaitSoFar(Progress progress, BatchPrefetcher prefetcher) {
        return progress.batchWaitSeconds + seconds(prefetcher.consumerWait().toNanos()) - progress.batchWaitAtEpochStart;
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
        /**
         * Seconds waited for batches up to the last epoch end, or up to the checkpoint continued from (the
         * prefetcher counts those since).
         */
        double batchWaitSeconds;
        double batchWaitAtEpochStart;
        final List<EpochRecord> history = new ArrayList<>();
        /** The epoch the checkpoint interrupted ({@link EpochSoFar#NONE} at a boundary or for a new run). */
        EpochSoFar resumedEpoch = EpochSoFar.NONE;
        /** The step count of the last save of this session (-1 for none) and the file it went to. */
        int savedAt = -1;
        Optional<Path> savedFile = Optional.empty();
        /** The checkpoint this session continued from (empty for a new run) and its step count. */
        Optional<Path> resumedFrom = Optional.empty();
        int resumedAtStep = -1;

        /**
         * The progress of a checkpoint, checked against the schedule: an epoch under way must have taken
         * the steps since its start, or the checkpoint is not one this loop wrote.
         */
        static Progress resumed(TrainingProgress saved, Schedule schedule, long seed) {
            int intoEpoch = saved.steps() >= schedule.totalSteps() ? 0 : saved.steps() % schedule.stepsPerEpoch();
            // A stop at an epoch's end keeps that whole epoch's totals: its end is still to come.
            boolean epochEndPending = saved.steps() <= schedule.totalSteps() && schedule.endsEpoch(saved.steps())
                    && saved.epochSoFar().steps() == schedule.stepsOfEpochEndingAt(saved.steps());
            if (saved.steps() > schedule.totalSteps() || saved.epochSoFar().steps() != intoEpoch && !epochEndPending) {
                throw new IllegalStateException("the checkpoint of seed " + seed + " is at step " + saved.steps()
                        + " with " + saved.epochSoFar().steps() + " steps of its epoch taken, but this training has "
                        + schedule.totalSteps() + " steps of " + schedule.stepsPerEpoch() + " per epoch (so "
                        + intoEpoch + " of the epoch at that step); it does not belong to this training. Start it"
                        + " afresh in a new run folder.");
            }
            Progress p = new Progress();
            p.steps = saved.steps();
            p.trainSeconds = saved.trainSeconds();
            p.resumedTimes = saved.resumedTimes() + 1;
            p.batchWaitSeconds = saved.batchWaitSeconds();
            p.history.addAll(saved.history());
            p.resumedEpoch = saved.epochSoFar();
            return p;
        }

        TrainingProgress snapshot() {
            return snapshot(EpochSoFar.NONE, batchWaitSeconds);
        }

        TrainingProgress snapshot(EpochSoFar epoch, double batchWait) {
            return new TrainingProgress(steps, trainSeconds, resumedTimes, batchWait, history, epoch);
        }

        /**
         * The file holding the state after the last step, if one does: this session's save at that step, or the
         * checkpoint it continued from when it has taken no step since.
         */
        Optional<Path> keptAtThisStep() {
            if (savedAt == steps) {
                return savedFile;
            }
            return steps == resumedAtStep ? resumedFrom : Optional.empty();
        }

        void saved(Optional<Path> file) {
            savedAt = steps;
            savedFile = file;
        }
    }

    /** Sums over the steps of the current epoch. */
    private static final class EpochTotals {
        double lossSum;
        long correct;
        long images;
        int steps;

        /** The totals of an epoch a checkpoint interrupted, to be continued. */
        static EpochTotals continuing(EpochSoFar saved) {
            EpochTotals t = new EpochTotals();
            t.lossSum = saved.lossSum();
            t.correct = saved.correct();
            t.images = saved.images();
            t.steps = saved.steps();
            return t;
        }

        EpochSoFar soFar(BatchStep step) {
            return new EpochSoFar(steps, lossSum, correct, images, step.epochSums());
        }

        void add(AirbenchModel.StepResult r, int batchSize) {
            lossSum += r.lossSum();
            correct += r.correct();
            images += batchSize;
            steps++;
        }
    }
}

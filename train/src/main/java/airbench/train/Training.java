package airbench.train;

import airbench.data.CifarDataset;
import airbench.model.CpuFeatures;
import airbench.model.ExecutionPlan;
import java.util.Objects;
import java.util.Optional;

/**
 * One training of a recipe, as a value: what to train and how to run it. The entry point of the
 * library; the command line builds one from its options for every run ({@link SeedRun}).
 *
 * <pre>{@code
 * CifarData cifar = CifarData.load(CifarVariant.CIFAR10, Optional.empty());
 * Training training = Training.of(Recipe.AIRBENCH94.toBuilder().labelSmoothing(0).build()).withSeed(1);
 * try (TrainedModel model = training.run(cifar.train())) {
 *     Evaluation accuracy = model.evaluate(cifar.test(), 2);
 *     float[] probabilities = model.probabilities(cifar.train().images(), 0);
 * }
 * }</pre>
 *
 * <p>Immutable: every {@code with...} returns a new value, so one {@code Training} can be reused for
 * several data sets or seeds. There is no global state; the one process-wide TensorFlow setting
 * (oneDNN on or off, see {@code TensorFlowRuntime}) defaults to on.
 *
 * @param recipe     every hyperparameter (epochs, optimizer, augmentation, network, schedules, TTA level)
 * @param seed       seed of every random choice: initial weights, pre-flip, translations, order
 * @param execution  convolution precision and graph execution (plain or with XLA clusters)
 * @param threads    TensorFlow intra-op threads
 * @param epochTest  a test set to evaluate (TTA level 0, not timed) after every epoch, for the listener's
 *                   {@link EpochRecord#testAccuracy()}; empty for none
 * @param listener   watches the training: progress lines, the per-epoch table, anything else
 * @param stop       asks the training to end after its current step, keeping its state there
 *                   ({@link #withStopSignal}); one nobody holds by default
 */
public record Training(Recipe recipe, long seed, ExecutionPlan execution, int threads,
                       Optional<CifarDataset> epochTest, TrainingListener listener, StopSignal stop) {

    public Training {
        Objects.requireNonNull(recipe, "recipe");
        Objects.requireNonNull(execution, "execution");
        Objects.requireNonNull(epochTest, "epochTest");
        Objects.requireNonNull(listener, "listener");
        Objects.requireNonNull(stop, "stop");
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        }
    }

    /**
     * The defaults of the command line: seed 0, the precision and execution {@code auto} chooses for this
     * CPU ({@link ExecutionPlan#resolve}), as many threads as cores, no per-epoch evaluation, and the
     * console's progress lines and epoch table ({@link TrainingListener#console()}).
     */
    public static Training of(Recipe recipe) {
        return new Training(recipe, 0, ExecutionPlan.resolve(ExecutionPlan.AUTO, ExecutionPlan.AUTO,
                CpuFeatures.detect()), Runtime.getRuntime().availableProcessors(), Optional.empty(),
                TrainingListener.console(), new StopSignal());
    }

    public Training withRecipe(Recipe newRecipe) {
        return new Training(newRecipe, seed, execution, threads, epochTest, listener, stop);
    }

    public Training withSeed(long newSeed) {
        return new Training(recipe, newSeed, execution, threads, epochTest, listener, stop);
    }

    public Training withExecution(ExecutionPlan newExecution) {
        return new Training(recipe, seed, newExecution, threads, epochTest, listener, stop);
    }

    public Training withThreads(int newThreads) {
        return new Training(recipe, seed, execution, newThreads, epochTest, listener, stop);
    }

    /** Evaluates {@code test} (TTA level 0) after every epoch; the time it takes is not counted as training. */
    public Training withEpochEvaluation(CifarDataset test) {
        return new Training(recipe, seed, execution, threads, Optional.of(test), listener, stop);
    }

    /** Replaces the listener; {@link TrainingListener#all} combines several, {@code new TrainingListener() {}} is silent. */
    public Training withListener(TrainingListener newListener) {
        return new Training(recipe, seed, execution, threads, epochTest, newListener, stop);
    }

    /**
     * Watches {@code newStop} between steps: once it is requested, the training finishes its current step, hands
     * its state at that step to its {@link CheckpointStore} and throws {@link TrainingStoppedException}.
     */
    public Training withStopSignal(StopSignal newStop) {
        return new Training(recipe, seed, execution, threads, epochTest, listener, newStop);
    }

    /**
     * Trains on {@code train} and returns the trained network (the Lookahead slow copy, or for an optimizer
     * without Lookahead the network after the last step). An epoch is {@code train.size() / batch} steps
     * (the last incomplete batch is dropped); the whitening filters come from its first 5,000 images.
     * Close the result to free its TensorFlow session.
     *
     * @throws IllegalArgumentException if {@code train} holds fewer images than one batch, or its classes
     *                                  are not the network's
     * @throws TrainingDivergedException if the loss stops being finite
     * @throws TrainingStoppedException  if the {@link #stop} signal was requested before the training finished
     */
    public TrainedModel run(CifarDataset train) {
        return run(train, CheckpointStore.NONE);
    }

    /**
     * {@link #run(CifarDataset)}, continuing from {@code checkpoints}' saved training if it has one and handing it
     * the state at every epoch end, every {@link CheckpointStore#saveEverySteps()} steps and at a stop (the command
     * line's run folders are one such store).
     */
    public TrainedModel run(CifarDataset train, CheckpointStore checkpoints) {
        return TrainingLoop.run(this, train, checkpoints);
    }
}

package airbench.train;

import java.util.List;

/** Watches a run: the console table, progress lines, TensorBoard event files and result files are listeners. */
public interface TrainingListener {

    /** A run starts, or resumes from its checkpoint; the network is initialized or loaded. */
    default void runStarted(RunStart start) {}

    /** Every optimizer step: its 0-based index and the batch's summed loss. */
    default void stepEnded(long seed, int step, double lossSum) {}

    /** Periodic progress inside an epoch. */
    default void progress(long seed, int step, int totalSteps, double recentLoss, double secondsPerStep) {}

    /** An epoch (or the final partial pass) has ended and its checkpoint is written. */
    default void epochEnded(long seed, EpochRecord record) {}

    /**
     * A run of the command line has taken every step and starts its final test evaluation of {@code images} images
     * ({@code method}, e.g. "TTA level 2"); on a CPU that can take minutes.
     */
    default void finalEvaluationStarted(long seed, int images, String method) {}

    /**
     * A run of the command line finished; its result files are written. (A run of the library ends when
     * {@link Training#run} returns; it has no result files and does not call this.)
     */
    default void runEnded(RunResult result) {}

    /**
     * The command line's console output through Log4j (logger {@code airbench.table}): a progress line about
     * every 30 seconds and a table row per epoch. Holds the table's state: one per training, or per sequence
     * of trainings that share one table.
     */
    static TrainingListener console() {
        return new ConsoleReporter();
    }

    /** One listener calling {@code listeners} in order. */
    static TrainingListener all(List<TrainingListener> listeners) {
        List<TrainingListener> copy = List.copyOf(listeners);
        return new TrainingListener() {
            @Override
            public void runStarted(RunStart start) {
                copy.forEach(l -> l.runStarted(start));
            }

            @Override
            public void stepEnded(long seed, int step, double lossSum) {
                copy.forEach(l -> l.stepEnded(seed, step, lossSum));
            }

            @Override
            public void progress(long seed, int step, int totalSteps, double recentLoss, double secondsPerStep) {
                copy.forEach(l -> l.progress(seed, step, totalSteps, recentLoss, secondsPerStep));
            }

            @Override
            public void epochEnded(long seed, EpochRecord record) {
                copy.forEach(l -> l.epochEnded(seed, record));
            }

            @Override
            public void finalEvaluationStarted(long seed, int images, String method) {
                copy.forEach(l -> l.finalEvaluationStarted(seed, images, method));
            }

            @Override
            public void runEnded(RunResult result) {
                copy.forEach(l -> l.runEnded(result));
            }
        };
    }
}

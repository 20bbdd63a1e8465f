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

    /** The run finished; its result files are written. */
    default void runEnded(RunResult result) {}

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
            public void runEnded(RunResult result) {
                copy.forEach(l -> l.runEnded(result));
            }
        };
    }
}

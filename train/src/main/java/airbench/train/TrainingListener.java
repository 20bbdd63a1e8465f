package airbench.train;

/** Watches a run: the console table, progress lines and result files are listeners. */
public interface TrainingListener {

    /** Every optimizer step: its 0-based index and the batch's summed loss. */
    default void stepEnded(long seed, int step, double lossSum) {}

    /** Periodic progress inside an epoch. */
    default void progress(long seed, int step, int totalSteps, double recentLoss, double secondsPerStep) {}

    /** An epoch (or the final partial pass) has ended and its checkpoint is written. */
    default void epochEnded(long seed, EpochRecord record) {}

    /** The run finished; its result files are written. */
    default void runEnded(RunResult result) {}
}

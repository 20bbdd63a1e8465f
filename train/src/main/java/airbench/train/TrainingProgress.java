package airbench.train;

import java.util.List;

/**
 * How far a training has come: what a checkpoint carries across an interruption besides the graph's variables,
 * and what a finished training reports.
 *
 * @param steps            optimizer steps done
 * @param trainSeconds     timed seconds so far (whitening, steps, the final Lookahead copy)
 * @param resumedTimes     how often the training was continued from a checkpoint
 * @param batchWaitSeconds seconds the loop waited for the batch pipeline so far
 * @param history          one record per finished epoch
 * @param epochSoFar       the running totals of the epoch under way ({@link EpochSoFar#NONE} at an epoch boundary)
 */
public record TrainingProgress(int steps, double trainSeconds, int resumedTimes, double batchWaitSeconds,
                               List<EpochRecord> history, EpochSoFar epochSoFar) {
    public TrainingProgress {
        history = List.copyOf(history);
        epochSoFar = epochSoFar == null ? EpochSoFar.NONE : epochSoFar;
        if (steps < 0 || resumedTimes < 0) {
            throw new IllegalArgumentException("steps and resumedTimes must be >= 0, got " + steps + " and "
                    + resumedTimes);
        }
    }

    /** Progress at an epoch boundary. */
    public TrainingProgress(int steps, double trainSeconds, int resumedTimes, double batchWaitSeconds,
                            List<EpochRecord> history) {
        this(steps, trainSeconds, resumedTimes, batchWaitSeconds, history, EpochSoFar.NONE);
    }
}

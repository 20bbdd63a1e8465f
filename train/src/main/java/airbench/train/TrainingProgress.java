package airbench.train;

import java.util.List;

/**
 * How far a training has come: what a checkpoint carries across an interruption besides the graph's variables,
 * and what a finished training reports.
 *
 * @param steps            optimizer steps done
 * @param trainSeconds     timed seconds so far (whitening, steps, the final Lookahead copy)
 * @param resumedTimes     how often the training was continued from a checkpoint
 * @param batchWaitSeconds seconds the loop waited for the batch pipeline, up to the last epoch end
 * @param history          one record per finished epoch
 */
public record TrainingProgress(int steps, double trainSeconds, int resumedTimes, double batchWaitSeconds,
                               List<EpochRecord> history) {
    public TrainingProgress {
        history = List.copyOf(history);
        if (steps < 0 || resumedTimes < 0) {
            throw new IllegalArgumentException("steps and resumedTimes must be >= 0, got " + steps + " and "
                    + resumedTimes);
        }
    }
}

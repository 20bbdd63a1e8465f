package airbench.train;

/**
 * One row of the per-epoch table.
 *
 * @param epoch          1-based pass number
 * @param steps          optimizer steps done so far in the run
 * @param trainLoss      mean label-smoothed loss per image over this epoch's steps
 * @param trainAccuracy  fraction of this epoch's training images classified correctly (augmented, before each step)
 * @param testAccuracy   test accuracy without TTA after this epoch, or null when per-epoch evaluation is off
 * @param trainSeconds   timed training so far (whitening + steps), as the reference counts it
 */
public record EpochRecord(int epoch, int steps, double trainLoss, double trainAccuracy, Double testAccuracy,
                          double trainSeconds) {}

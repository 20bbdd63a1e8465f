package airbench.train;

import java.util.Map;

/**
 * The running totals of an epoch that a checkpoint interrupts (a stop or {@code --checkpoint-every} between epoch
 * ends): what the epoch's {@link EpochRecord} sums over the steps already taken, so that the record of a continued
 * epoch is, to the bit, the record of an epoch never interrupted (the sums are continued in the same order).
 *
 * @param steps     steps of the epoch already taken
 * @param lossSum   sum of those steps' summed losses
 * @param correct   training images of those steps classified correctly
 * @param images    training images of those steps (steps times the images per step)
 * @param stepSums  the step kind's own sums for its epoch log line (96faster's proxy losses), by name
 */
public record EpochSoFar(int steps, double lossSum, long correct, long images, Map<String, Double> stepSums) {
    /** At an epoch boundary: nothing taken yet. */
    public static final EpochSoFar NONE = new EpochSoFar(0, 0, 0, 0, Map.of());

    public EpochSoFar {
        stepSums = stepSums == null ? Map.of() : Map.copyOf(stepSums);
        if (steps < 0 || correct < 0 || images < 0 || correct > images) {
            throw new IllegalArgumentException("an epoch so far needs steps >= 0 and 0 <= correct <= images, got "
                    + steps + ", " + correct + ", " + images);
        }
    }
}

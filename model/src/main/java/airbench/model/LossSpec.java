package airbench.model;

/**
 * The training loss (docs/METHOD.md section 5): the cross-entropy of the label-smoothed targets, summed over the batch
 * (not averaged, so that the learning rates are per example and the batch size does not rescale them).
 *
 * @param labelSmoothing share of each target spread evenly over all classes: the target of class k is
 *                       {@code (1 - e) [k = label] + e / classes}; 0 for plain cross-entropy
 */
public record LossSpec(double labelSmoothing) {
    /** airbench's loss: label smoothing 0.2. */
    public static final LossSpec AIRBENCH = new LossSpec(0.2);

    public LossSpec {
        if (!(labelSmoothing >= 0 && labelSmoothing < 1)) {
            throw new IllegalArgumentException("labelSmoothing must be in [0, 1), got " + labelSmoothing);
        }
    }
}

package airbench.model;

/**
 * The training loss (docs/METHOD.md sections 5 and 13): the cross-entropy of the label-smoothed targets, summed over
 * the batch (not averaged, so that the learning rates are per example and the batch size does not rescale them),
 * times {@code scale} in the gradient.
 *
 * @param labelSmoothing share of each target spread evenly over all classes: the target of class k is
 *                       {@code (1 - e) t_k + e / classes} with t the one-hot label or the fed target; 0 for plain
 *                       cross-entropy
 * @param scale          multiplier of the summed loss whose gradient the optimizer follows: 1 for airbench; hlb's
 *                       0.5 = 512 / its batch of 1,024. The loss the trainer reports stays the plain sum.
 * @param softTargets    the graph takes a target distribution per example ([N, classes], fed with the batch, as
 *                       CutMix mixes two labels) instead of building the one-hot of the label
 */
public record LossSpec(double labelSmoothing, double scale, boolean softTargets) {
    /** airbench's loss: label smoothing 0.2. */
    public static final LossSpec AIRBENCH = new LossSpec(0.2);

    /** The plain summed loss over the labels' one-hots. */
    public LossSpec(double labelSmoothing) {
        this(labelSmoothing, 1, false);
    }

    public LossSpec {
        if (!(labelSmoothing >= 0 && labelSmoothing < 1)) {
            throw new IllegalArgumentException("labelSmoothing must be in [0, 1), got " + labelSmoothing);
        }
        if (!(scale > 0 && Double.isFinite(scale))) {
            throw new IllegalArgumentException("the loss scale must be positive, got " + scale);
        }
    }
}

package airbench.train;

/**
 * Where the learning-rate multiplier's three points lie ({@link Schedule#lrMultiplier}): it rises linearly from
 * the recipe's initial multiplier at step 0 to 1 at the peak, then falls linearly to the final multiplier at the
 * end, and stays there.
 */
public enum LrShape {
    /**
     * airbench's triangle (docs/METHOD.md section 5): peak at step floor(warmupFraction * T), end at step T (one
     * past the last step, so the last step's multiplier is still above the final one), as numpy.interp over
     * those points.
     */
    TRIANGLE,
    /**
     * PyTorch's OneCycleLR with linear annealing, as hlb-CIFAR10 uses it (docs/METHOD.md section 13): peak at the
     * fractional step warmupFraction * T - 1 (132.63 for hlb), end at step T - 1, the last step (580).
     */
    ONE_CYCLE
}

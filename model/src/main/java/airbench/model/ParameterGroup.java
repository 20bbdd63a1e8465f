package airbench.model;

/**
 * The named parameter groups of the network that train (the whitening filters never do). An
 * optimizer says how each group is updated ({@link TrainingOptimizer#rule}).
 */
public enum ParameterGroup {
    /** The whitening layer's bias: trains for the first epochs only, with its own schedule in 94muon. */
    WHITEN_BIAS,
    /** The 3x3 convolution filters of the blocks. */
    FILTERS,
    /** The linear head's weight. */
    HEAD,
    /** The BatchNorm shifts. */
    NORM_SHIFTS
}

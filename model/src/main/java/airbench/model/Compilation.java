package airbench.model;

/**
 * How the training graph is executed. Both modes run the very same graph, so a
 * run's numbers differ only by floating-point rounding (the model module's
 * equivalence test states the tolerance).
 */
public enum Compilation {
    /** Plain TensorFlow: every operation runs as its own kernel (oneDNN for convolutions). */
    NONE,
    /**
     * The element-wise, activation (GELU) and loss parts of the graph and the max-pooling
     * gradients are compiled by XLA into fused kernels; convolutions, BatchNorm and the
     * optimizer stay with TensorFlow's kernels (oneDNN). See {@link XlaClustering} for the
     * selection, why, and what else was measured.
     */
    XLA
}

package airbench.data;

/**
 * Random access to the batches of a training run, by (epoch, index). Random
 * access, rather than an iterator, is what makes a resumed run produce exactly
 * the batches it would have produced without the interruption.
 */
public interface BatchSource {
    /** Batches per epoch. */
    int stepsPerEpoch();

    /**
     * Batch {@code index} (0 .. stepsPerEpoch() - 1) of epoch {@code epoch} (from 0). Must be
     * safe to call from a thread other than the consumer's (the prefetcher does so).
     */
    Batch batch(int epoch, int index);
}

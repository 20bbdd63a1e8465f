package airbench.data;

/**
 * The batch stream of recipe 96faster (docs/METHOD.md section 11): the passes over the training set
 * follow each other without a gap, and the batch of step s holds images {@code s * B .. s * B + B - 1}
 * of that endless sequence. A batch may end one pass and begin the next; no image is dropped.
 *
 * <p>Each pass is augmented and ordered exactly as the epoch of the same number in
 * {@link TrainingBatches} (fresh translations, the alternating flip, cutout and a fresh permutation
 * per pass, the same generators); only the cutting into batches differs. So the stream is, like
 * the per-epoch batches, a pure function of (seed, step): a resumed run needs only its step count.
 *
 * <p>Batches are addressed as the schedule counts steps: {@code batch(epoch, index)} is step
 * {@code epoch * stepsPerEpoch() + index}, with {@code stepsPerEpoch() = images / B} as in the
 * reference (48 for CIFAR-10 at 1,024). An "epoch" of steps is therefore slightly shorter than a pass
 * over the data (48 * 1,024 = 49,152 of 50,000 images); the returned {@link Batch} carries that
 * step epoch and index, not the pass.
 *
 * <p>Thread-safe, as {@link TrainingBatches}: batches may be built on a prefetch thread.
 */
public final class StraddlingBatches implements BatchSource {
    private final TrainingBatches passes;

    /** @param passes the per-pass augmentation and order (its batch size is the stream's) */
    public StraddlingBatches(TrainingBatches passes) {
        if (passes.augment().cutmix() > 0) {
            throw new IllegalArgumentException("the straddling batch stream carries no mixed targets: CutMix"
                    + " (cutmix " + passes.augment().cutmix() + ") needs the per-epoch batches");
        }
        this.passes = passes;
    }

    /** Steps per schedule epoch: whole batches in one pass, as the reference counts them. */
    @Override
    public int stepsPerEpoch() {
        return passes.stepsPerEpoch();
    }

    /** The batch of step {@code epoch * stepsPerEpoch() + index}. */
    @Override
    public Batch batch(int epoch, int index) {
        if (epoch < 0 || index < 0 || index >= stepsPerEpoch()) {
            throw new IndexOutOfBoundsException("step (epoch " + epoch + ", index " + index + ") outside the run;"
                    + " an epoch has " + stepsPerEpoch() + " steps");
        }
        int batchSize = passes.batchSize();
        int size = passes.size();
        long first = ((long) epoch * stepsPerEpoch() + index) * batchSize;
        float[] images = new float[batchSize * CifarDataset.IMAGE_BYTES];
        int[] labels = new int[batchSize];
        int slot = 0;
        while (slot < batchSize) {
            long position = first + slot;
            int pass = Math.toIntExact(position / size);
            int from = (int) (position % size);
            // The rest of the batch, or of this pass if the batch straddles into the next one.
            int count = Math.min(batchSize - slot, size - from);
            TrainingBatches.EpochPlan plan = passes.plan(pass);
            for (int j = 0; j < count; j++) {
                passes.copyAugmented(plan, from + j, images, labels, slot + j);
            }
            slot += count;
        }
        return new Batch(epoch, index, images, labels);
    }
}

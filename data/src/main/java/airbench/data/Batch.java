package airbench.data;

/**
 * One training batch, ready to feed.
 *
 * @param epoch   the pass over the training set it belongs to, from 0
 * @param index   its position in that epoch, from 0
 * @param images  normalized float pixels, NHWC [B, 32, 32, 3]
 * @param labels  the B labels (with CutMix: each image's own)
 * @param targets the B target distributions [B, classes] before label smoothing, with CutMix
 *                ({@link AugmentSpec#cutmix}: a one-hot in the epochs without it, the mixed targets in those with
 *                it); null without CutMix, where the labels are the targets
 */
public record Batch(int epoch, int index, float[] images, int[] labels, float[] targets) {
    public Batch {
        if ((long) labels.length * CifarDataset.IMAGE_BYTES != images.length) {
            throw new IllegalArgumentException(images.length + " pixel values do not match " + labels.length
                    + " labels of " + CifarDataset.IMAGE_BYTES + " values each");
        }
        if (targets != null && (labels.length == 0 || targets.length % labels.length != 0)) {
            throw new IllegalArgumentException(targets.length + " target values are not one distribution for each of "
                    + labels.length + " labels");
        }
    }

    /** A batch whose labels are its targets (no CutMix). */
    public Batch(int epoch, int index, float[] images, int[] labels) {
        this(epoch, index, images, labels, null);
    }

    public int size() {
        return labels.length;
    }
}

package airbench.data;

/**
 * One training batch, ready to feed.
 *
 * @param epoch  the pass over the training set it belongs to, from 0
 * @param index  its position in that epoch, from 0
 * @param images normalized float pixels, NHWC [B, 32, 32, 3]
 * @param labels the B labels
 */
public record Batch(int epoch, int index, float[] images, int[] labels) {
    public Batch {
        if ((long) labels.length * CifarDataset.IMAGE_BYTES != images.length) {
            throw new IllegalArgumentException(images.length + " pixel values do not match " + labels.length
                    + " labels of " + CifarDataset.IMAGE_BYTES + " values each");
        }
    }

    public int size() {
        return labels.length;
    }
}

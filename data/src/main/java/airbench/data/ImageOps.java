package airbench.data;

/**
 * Pixel-level operations on batches of images stored as float NHWC arrays
 * (index {@code ((i * height + y) * width + x) * channels + c}). Shared by the
 * training augmentation and by test-time augmentation so both use one
 * definition of "mirror" and "reflect padding".
 */
public final class ImageOps {
    private ImageOps() {}

    /** Mirrors every image left-right; returns a new array. */
    public static float[] mirror(float[] images, int count, int height, int width, int channels) {
        checkLength(images, count, height, width, channels);
        float[] out = new float[images.length];
        int row = width * channels;
        for (int i = 0; i < count; i++) {
            for (int y = 0; y < height; y++) {
                int base = (i * height + y) * row;
                for (int x = 0; x < width; x++) {
                    System.arraycopy(images, base + x * channels, out, base + (width - 1 - x) * channels, channels);
                }
            }
        }
        return out;
    }

    /**
     * Pads every image by {@code pad} pixels on each side with REFLECT padding:
     * the border is mirrored without repeating the edge pixel, so for a row
     * {@code a b c d} and pad 2 the result is {@code c b a b c d c b}.
     */
    public static float[] reflectPad(float[] images, int count, int height, int width, int channels, int pad) {
        checkLength(images, count, height, width, channels);
        if (pad < 0 || pad >= height || pad >= width) {
            throw new IllegalArgumentException("reflect padding needs 0 <= pad < image size, got pad " + pad
                    + " for " + height + "x" + width + " images");
        }
        int paddedHeight = height + 2 * pad;
        int paddedWidth = width + 2 * pad;
        float[] out = new float[count * paddedHeight * paddedWidth * channels];
        for (int i = 0; i < count; i++) {
            for (int py = 0; py < paddedHeight; py++) {
                int sy = reflect(py - pad, height);
                for (int px = 0; px < paddedWidth; px++) {
                    int sx = reflect(px - pad, width);
                    System.arraycopy(images, ((i * height + sy) * width + sx) * channels,
                            out, ((i * paddedHeight + py) * paddedWidth + px) * channels, channels);
                }
            }
        }
        return out;
    }

    /**
     * Copies the {@code cropHeight x cropWidth} window whose top-left corner is
     * ({@code top}, {@code left}) out of every image.
     */
    public static float[] crop(float[] images, int count, int height, int width, int channels,
                               int top, int left, int cropHeight, int cropWidth) {
        checkLength(images, count, height, width, channels);
        if (top < 0 || left < 0 || top + cropHeight > height || left + cropWidth > width) {
            throw new IllegalArgumentException("crop window " + cropHeight + "x" + cropWidth + " at (" + top + ", "
                    + left + ") does not fit in " + height + "x" + width + " images");
        }
        float[] out = new float[count * cropHeight * cropWidth * channels];
        int rowLength = cropWidth * channels;
        for (int i = 0; i < count; i++) {
            for (int y = 0; y < cropHeight; y++) {
                System.arraycopy(images, ((i * height + top + y) * width + left) * channels,
                        out, (i * cropHeight + y) * rowLength, rowLength);
            }
        }
        return out;
    }

    /** Index of padded coordinate {@code p} (may be negative or >= size) in REFLECT mode. */
    static int reflect(int p, int size) {
        if (p < 0) {
            return -p;
        }
        if (p >= size) {
            return 2 * (size - 1) - p;
        }
        return p;
    }

    private static void checkLength(float[] images, int count, int height, int width, int channels) {
        long expected = (long) count * height * width * channels;
        if (images.length < expected) {
            throw new IllegalArgumentException("image array holds " + images.length + " values, expected at least "
                    + expected + " for " + count + " images of " + height + "x" + width + "x" + channels);
        }
    }
}

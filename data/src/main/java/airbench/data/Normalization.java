package airbench.data;

/**
 * The CIFAR-10 per-channel normalization of the method: pixels scaled to
 * [0, 1], then {@code (x - mean) / std} per channel.
 */
public final class Normalization {
    private Normalization() {}

    /** Per-channel mean of the CIFAR-10 training set on the [0, 1] scale (R, G, B). */
    public static final float[] MEAN = {0.4914f, 0.4822f, 0.4465f};
    /** Per-channel standard deviation of the CIFAR-10 training set on the [0, 1] scale (R, G, B). */
    public static final float[] STD = {0.2470f, 0.2435f, 0.2616f};

    /** Normalizes uint8 NHWC pixels (interleaved RGB) into a new float array of the same layout. */
    public static float[] normalize(byte[] pixels) {
        return normalize(pixels, 0, pixels.length);
    }

    /** Normalizes {@code length} uint8 RGB-interleaved values starting at {@code offset}. */
    public static float[] normalize(byte[] pixels, int offset, int length) {
        if (length % 3 != 0) {
            throw new IllegalArgumentException("pixel count " + length + " is not a multiple of 3 channels");
        }
        float[] scale = new float[3];
        float[] shift = new float[3];
        for (int c = 0; c < 3; c++) {
            scale[c] = 1f / (255f * STD[c]);
            shift[c] = MEAN[c] / STD[c];
        }
        float[] out = new float[length];
        for (int i = 0; i < length; i++) {
            int c = i % 3;
            out[i] = (pixels[offset + i] & 0xFF) * scale[c] - shift[c];
        }
        return out;
    }
}

package airbench.data;

import java.util.Arrays;
import java.util.Locale;

/**
 * The per-channel normalization of docs/METHOD.md section 1: pixels scaled to [0, 1], then
 * {@code (x - mean) / std} per channel, with the mean and standard deviation of the dataset's own
 * training set.
 *
 * <p>What the constants are, in the method's terms: docs/METHOD.md's CIFAR-10 figures, mean (0.4914,
 * 0.4822, 0.4465) and std (0.2470, 0.2435, 0.2616), are the mean and the (population) standard
 * deviation of every pixel value of each channel over the 50,000 CIFAR-10 training images, on the
 * [0, 1] scale, rounded to four decimals ({@link #measure} recomputes them: 125.31 / 255 = 0.4914,
 * 62.99 / 255 = 0.2470, ...). So the normalization is a property of the data, not a hyperparameter of
 * the recipe: each image channel enters the whitening layer with mean 0 and variance 1 over the
 * training set, and the whitening eigenvalues, the epsilon 5e-4 added to them and the learning rates
 * tuned on top see the same scale on any dataset. For CIFAR-100 the same computation over its own
 * 50,000 training images (train.bin, both label sets share the images) gives
 * {@link #CIFAR100}: mean (0.5071, 0.4865, 0.4409), std (0.2673, 0.2564, 0.2762); the test images are
 * never used. CIFAR-10's constants on CIFAR-100 would instead leave its channels with means up to
 * 0.064 away from 0 and standard deviations up to 1.08: small, but a needless departure from the
 * method.
 *
 * <p>The static {@link #MEAN}, {@link #STD} and {@link #normalize(byte[])} are CIFAR-10's, as they
 * always were; dataset-aware code uses {@link DatasetChoice#normalization()} and {@link #apply}.
 * Both compute {@code value * (1 / (255 std)) - mean / std} with the same float constants, so a
 * dataset's normalized pixels are identical whichever path computes them (the exported model's
 * graph uses the same formula).
 */
public final class Normalization {
    /** Per-channel mean of the CIFAR-10 training set on the [0, 1] scale (R, G, B). */
    public static final float[] MEAN = {0.4914f, 0.4822f, 0.4465f};
    /** Per-channel standard deviation of the CIFAR-10 training set on the [0, 1] scale (R, G, B). */
    public static final float[] STD = {0.2470f, 0.2435f, 0.2616f};

    /** CIFAR-10's: docs/METHOD.md section 1. */
    public static final Normalization CIFAR10 = new Normalization(MEAN.clone(), STD.clone());
    /**
     * CIFAR-100's: the channel mean and standard deviation of its 50,000 training images, measured
     * with {@link #measure} on the official train.bin (0-255 scale: mean 129.304, 124.070, 112.434;
     * std 68.170, 65.392, 70.418) and rounded to four decimals as docs/METHOD.md's CIFAR-10 figures are.
     */
    public static final Normalization CIFAR100 = new Normalization(new float[] {0.5071f, 0.4865f, 0.4409f},
            new float[] {0.2673f, 0.2564f, 0.2762f});

    private static final int CHANNELS = 3;

    private final float[] mean;
    private final float[] std;

    private Normalization(float[] mean, float[] std) {
        if (mean.length != CHANNELS || std.length != CHANNELS) {
            throw new IllegalArgumentException("need a mean and a standard deviation per RGB channel, got "
                    + mean.length + " and " + std.length);
        }
        for (float s : std) {
            if (!(s > 0)) {
                throw new IllegalArgumentException("standard deviations must be positive, got " + Arrays.toString(std));
            }
        }
        this.mean = mean;
        this.std = std;
    }

    /** Per-channel mean on the [0, 1] scale (R, G, B); a copy. */
    public float[] mean() {
        return mean.clone();
    }

    /** Per-channel standard deviation on the [0, 1] scale (R, G, B); a copy. */
    public float[] std() {
        return std.clone();
    }

    /** Normalizes uint8 NHWC pixels (interleaved RGB) into a new float array of the same layout. */
    public float[] apply(byte[] pixels) {
        return apply(pixels, 0, pixels.length);
    }

    /** Normalizes {@code length} uint8 RGB-interleaved values starting at {@code offset}. */
    public float[] apply(byte[] pixels, int offset, int length) {
        if (length % CHANNELS != 0) {
            throw new IllegalArgumentException("pixel count " + length + " is not a multiple of 3 channels");
        }
        float[] scale = new float[CHANNELS];
        float[] shift = new float[CHANNELS];
        for (int c = 0; c < CHANNELS; c++) {
            scale[c] = 1f / (255f * std[c]);
            shift[c] = mean[c] / std[c];
        }
        float[] out = new float[length];
        for (int i = 0; i < length; i++) {
            int c = i % CHANNELS;
            out[i] = (pixels[offset + i] & 0xFF) * scale[c] - shift[c];
        }
        return out;
    }

    /** CIFAR-10's normalization of uint8 NHWC pixels (see {@link #apply(byte[])} for other datasets). */
    public static float[] normalize(byte[] pixels) {
        return CIFAR10.apply(pixels);
    }

    /** CIFAR-10's normalization of {@code length} values starting at {@code offset}. */
    public static float[] normalize(byte[] pixels, int offset, int length) {
        return CIFAR10.apply(pixels, offset, length);
    }

    /**
     * The statistics the constants above are: per channel, the mean and the population standard
     * deviation (divided by n, not n - 1) of every value of that channel over all images, on the
     * [0, 1] scale, accumulated in double precision and not rounded.
     *
     * @param pixels uint8 NHWC pixels, interleaved RGB (as {@link CifarDataset#images()})
     */
    public static Normalization measure(byte[] pixels) {
        if (pixels.length == 0 || pixels.length % CHANNELS != 0) {
            throw new IllegalArgumentException("need a positive multiple of 3 pixel values, got " + pixels.length);
        }
        // Exact integer sums: the squares of a channel of 50,000 images sum to at most 255^2 * 51.2 million
        // (about 3.3e12), far within a long.
        long[] sum = new long[CHANNELS];
        long[] squares = new long[CHANNELS];
        for (int i = 0; i < pixels.length; i++) {
            int v = pixels[i] & 0xFF;
            sum[i % CHANNELS] += v;
            squares[i % CHANNELS] += (long) v * v;
        }
        double n = pixels.length / (double) CHANNELS;
        float[] mean = new float[CHANNELS];
        float[] std = new float[CHANNELS];
        for (int c = 0; c < CHANNELS; c++) {
            double m = sum[c] / n;
            double variance = squares[c] / n - m * m;
            mean[c] = (float) (m / 255);
            std[c] = (float) (Math.sqrt(Math.max(variance, 0)) / 255);
        }
        if (std[0] == 0 || std[1] == 0 || std[2] == 0) {
            throw new IllegalArgumentException("a channel is constant (standard deviation 0); images this uniform"
                    + " cannot be normalized");
        }
        return new Normalization(mean, std);
    }

    /** "mean (0.4914, 0.4822, 0.4465), std (0.2470, 0.2435, 0.2616)". */
    @Override
    public String toString() {
        return String.format(Locale.ROOT, "mean (%.4f, %.4f, %.4f), std (%.4f, %.4f, %.4f)", mean[0], mean[1],
                mean[2], std[0], std[1], std[2]);
    }
}

package airbench.model;

import java.util.SplittableRandom;

/**
 * Initial values computed in Java (docs/METHOD.md section 4), so that a run's
 * starting point depends only on its seed and can be checked by a test.
 * Kernels are in TensorFlow's HWIO layout: index {@code ((row * kw + col) * in + i) * out + o}.
 */
public final class ParameterInit {
    private ParameterInit() {}

    /** Uniform in [-1/sqrt(fan_in), +1/sqrt(fan_in)] with fan_in = kh * kw * in (PyTorch's default for conv and linear). */
    public static float[] uniformFanIn(int kh, int kw, int in, int out, SplittableRandom random) {
        float[] kernel = new float[kh * kw * in * out];
        double bound = 1 / Math.sqrt((double) kh * kw * in);
        for (int i = 0; i < kernel.length; i++) {
            kernel[i] = (float) ((random.nextDouble() * 2 - 1) * bound);
        }
        return kernel;
    }

    /**
     * Partial identity ("Dirac"): the first {@code min(in, out)} output filters become the
     * identity, 1 at the spatial centre on their own input channel and 0 elsewhere, so
     * that the block starts close to passing its input through. The other filters keep
     * their values.
     */
    public static void diracPartialIdentity(float[] kernel, int kh, int kw, int in, int out) {
        int identities = Math.min(in, out);
        for (int row = 0; row < kh; row++) {
            for (int col = 0; col < kw; col++) {
                for (int i = 0; i < in; i++) {
                    for (int o = 0; o < identities; o++) {
                        boolean centre = row == kh / 2 && col == kw / 2 && i == o;
                        kernel[((row * kw + col) * in + i) * out + o] = centre ? 1f : 0f;
                    }
                }
            }
        }
    }

    /**
     * hlb-CIFAR10's start of a block's first conv ({@link IdentityInit#ADD_AND_RENORMALIZE}): with m and s the
     * mean and the unbiased (n - 1) standard deviation of {@code kernel} over all its values, add 1 at the spatial
     * centre of filter i on input channel i for every i &lt; min(in, out), then map every value v of the result,
     * of mean m' and deviation s', to {@code (v - m') s / s' + m}: the tensor keeps its mean and deviation and the
     * identity entries end at about {@code s / s'} of the random values' scale above them. Computed in double.
     */
    public static void addIdentityRenormalized(float[] kernel, int kh, int kw, int in, int out) {
        double[] before = meanAndStd(kernel);
        int identities = Math.min(in, out);
        for (int i = 0; i < identities; i++) {
            kernel[(((kh / 2) * kw + kw / 2) * in + i) * out + i] += 1f;
        }
        double[] after = meanAndStd(kernel);
        double scale = before[1] / after[1];
        for (int k = 0; k < kernel.length; k++) {
            kernel[k] = (float) ((kernel[k] - after[0]) * scale + before[0]);
        }
    }

    /** Mean and unbiased (n - 1) standard deviation, in double (PyTorch's {@code mean()} and {@code std()}). */
    static double[] meanAndStd(float[] values) {
        double mean = 0;
        for (float v : values) {
            mean += v;
        }
        mean /= values.length;
        double squares = 0;
        for (float v : values) {
            squares += (v - mean) * (v - mean);
        }
        return new double[] {mean, Math.sqrt(squares / (values.length - 1))};
    }

    /** A 3x3 block convolution: fan-in uniform, then partial identity. */
    public static float[] blockConv(int in, int out, SplittableRandom random) {
        return blockConv(in, out, IdentityInit.REPLACE, random);
    }

    /** A 3x3 block convolution: fan-in uniform, then its identity part as {@code identity} says. */
    public static float[] blockConv(int in, int out, IdentityInit identity, SplittableRandom random) {
        float[] kernel = uniformFanIn(3, 3, in, out, random);
        switch (identity) {
            case REPLACE -> diracPartialIdentity(kernel, 3, 3, in, out);
            case ADD_AND_RENORMALIZE -> addIdentityRenormalized(kernel, 3, 3, in, out);
        }
        return kernel;
    }

    /**
     * The head weight, {@code in x out} (inputs x classes): fan-in uniform, and for
     * {@link HeadScale#INPUT_WIDTH} rescaled to standard deviation 1.
     */
    public static float[] head(int in, int out, HeadScale scale, SplittableRandom random) {
        float[] weight = uniformFanIn(1, 1, in, out, random);
        if (scale.unitStdInit()) {
            rescaleToUnitStd(weight);
        }
        return weight;
    }

    /**
     * Multiplies {@code values} by 1 / their standard deviation. The deviation is PyTorch's
     * {@code Tensor.std()}, which the 94muon reference divides by: the unbiased one (n - 1),
     * computed here in double.
     */
    static void rescaleToUnitStd(float[] values) {
        double mean = 0;
        for (float v : values) {
            mean += v;
        }
        mean /= values.length;
        double squares = 0;
        for (float v : values) {
            squares += (v - mean) * (v - mean);
        }
        double scale = 1 / Math.sqrt(squares / (values.length - 1));
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (values[i] * scale);
        }
    }
}

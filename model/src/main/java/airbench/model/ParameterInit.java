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

    /** A 3x3 block convolution: fan-in uniform, then partial identity. */
    public static float[] blockConv(int in, int out, SplittableRandom random) {
        float[] kernel = uniformFanIn(3, 3, in, out, random);
        diracPartialIdentity(kernel, 3, 3, in, out);
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

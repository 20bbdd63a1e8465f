package airbench.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The airbench96 network shape (three convolutions per block, the residual, BatchNorm memory 0.9) on
 * narrow widths, checked against a second, plain-Java implementation of docs/METHOD.md section 3 that
 * shares no code with the TensorFlow graph.
 */
class ResidualNetworkTest {
    private static final NetworkSpec NARROW_96 = NetworkSpec.AIRBENCH96.withWidths(List.of(4, 8, 8));
    private static final OptimizerSpec OPTIMIZER = new OptimizerSpec(16, 9.0, 0.85, 0.012, 64);
    private static final int COUNT = 3;
    private static AirbenchModel model;

    @BeforeAll
    static void build() {
        model = new AirbenchModel(NARROW_96, Precision.FP32, OPTIMIZER, 2);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void inferenceLogitsMatchAPlainJavaForwardPassOfTheResidualNetwork() {
        model.initialize(new float[2 * 2 * 3 * NetworkSpec.WHITEN_WIDTH], 1);
        // Random values everywhere (positive variances), so that no term of the network is zero or the identity.
        Random random = new Random(7);
        Map<String, float[]> state = new HashMap<>();
        model.networkState().forEach((name, old) -> {
            float[] value = new float[old.length];
            for (int i = 0; i < value.length; i++) {
                value[i] = name.endsWith("/variance") ? 0.5f + random.nextFloat()
                        : name.endsWith("/kernel") ? (float) random.nextGaussian() * 0.3f
                        : (float) random.nextGaussian() * 0.5f;
            }
            state.put(name, value);
        });
        model.loadState(state);
        float[] images = gaussian(new Random(8), COUNT * 32 * 32 * 3);

        float[] graph = model.logits(images, COUNT);
        double[] expected = new PlainForward(state).logits(images, COUNT);
        double scale = 0;
        for (double v : expected) {
            scale = Math.max(scale, Math.abs(v));
        }
        assertTrue(scale > 0.1, "logits of a random network should not be near zero: " + scale);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], graph[i], 1e-4 * scale, "logit " + i);
        }
        // Without the residual the plain forward disagrees, so the comparison above does see it.
        double[] noResidual = new PlainForward(state, false).logits(images, COUNT);
        double largest = 0;
        for (int i = 0; i < expected.length; i++) {
            largest = Math.max(largest, Math.abs(noResidual[i] - graph[i]));
        }
        assertTrue(largest > 1e-2 * scale, "the residual changes the logits by only " + largest);
    }

    /** Memory 0.9 in the first, middle and last norm of the three-convolution blocks. */
    @Test
    void runningStatisticsOfEveryNormUseMemoryNineTenths() {
        Random random = new Random(9);
        model.initialize(gaussian(random, 2 * 2 * 3 * NetworkSpec.WHITEN_WIDTH), 2);
        float[] images = gaussian(random, 16 * 32 * 32 * 3);
        int[] labels = random.ints(16, 0, 10).toArray();
        RunningStatsCheck.assertTwoStepsUseMemory(model, images, labels, 16, "block2/conv3/kernel",
                List.of("block1/norm1", "block1/norm3", "block2/norm2", "block3/norm3"), 0.9);
    }

    private static float[] gaussian(Random random, int n) {
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return values;
    }

    /**
     * docs/METHOD.md section 3 in double precision with loops, inference mode, NHWC activations and
     * kernels laid out (kh, kw, in, out).
     */
    private static final class PlainForward {
        private final Map<String, float[]> state;
        private final boolean residual;

        PlainForward(Map<String, float[]> state) {
            this(state, true);
        }

        PlainForward(Map<String, float[]> state, boolean residual) {
            this.state = state;
            this.residual = residual;
        }

        double[] logits(float[] images, int count) {
            double[] out = new double[count * 10];
            for (int n = 0; n < count; n++) {
                Act x = new Act(32, 32, 3);
                for (int i = 0; i < x.v.length; i++) {
                    x.v[i] = images[n * x.v.length + i];
                }
                x = conv(x, "whiten/kernel", 2, NetworkSpec.WHITEN_WIDTH, 0);      // 31x31, VALID
                float[] bias = state.get("whiten/bias");
                for (int i = 0; i < x.v.length; i++) {
                    x.v[i] += bias[i % x.c];
                }
                gelu(x);
                for (int b = 1; b <= 3; b++) {
                    x = block(x, b, NARROW_96.widths().get(b - 1));
                }
                x = maxPool(x, 3);                                                 // 1x1
                float[] head = state.get("head/kernel");
                for (int k = 0; k < 10; k++) {
                    double sum = 0;
                    for (int c = 0; c < x.c; c++) {
                        sum += x.v[c] * head[c * 10 + k];
                    }
                    out[n * 10 + k] = sum / 9;
                }
            }
            return out;
        }

        private Act block(Act x, int b, int width) {
            String p = "block" + b + "/";
            x = conv(x, p + "conv1/kernel", 3, width, 1);
            x = maxPool(x, 2);
            norm(x, p + "norm1");
            gelu(x);
            Act x0 = x;
            x = conv(x, p + "conv2/kernel", 3, width, 1);
            norm(x, p + "norm2");
            gelu(x);
            x = conv(x, p + "conv3/kernel", 3, width, 1);
            norm(x, p + "norm3");
            if (residual) {
                for (int i = 0; i < x.v.length; i++) {
                    x.v[i] += x0.v[i];
                }
            }
            gelu(x);
            return x;
        }

        /** Stride-1 convolution with {@code pad} zero pixels on each side (1 for 3x3 SAME, 0 for VALID). */
        private Act conv(Act x, String name, int k, int cout, int pad) {
            float[] w = state.get(name);
            Act y = new Act(x.h + 2 * pad - k + 1, x.w + 2 * pad - k + 1, cout);
            for (int i = 0; i < y.h; i++) {
                for (int j = 0; j < y.w; j++) {
                    for (int o = 0; o < cout; o++) {
                        double sum = 0;
                        for (int di = 0; di < k; di++) {
                            for (int dj = 0; dj < k; dj++) {
                                int si = i + di - pad;
                                int sj = j + dj - pad;
                                if (si < 0 || sj < 0 || si >= x.h || sj >= x.w) {
                                    continue;
                                }
                                for (int c = 0; c < x.c; c++) {
                                    sum += x.get(si, sj, c) * w[((di * k + dj) * x.c + c) * cout + o];
                                }
                            }
                        }
                        y.set(i, j, o, sum);
                    }
                }
            }
            return y;
        }

        private static Act maxPool(Act x, int size) {
            Act y = new Act(x.h / size, x.w / size, x.c);
            for (int i = 0; i < y.h; i++) {
                for (int j = 0; j < y.w; j++) {
                    for (int c = 0; c < x.c; c++) {
                        double max = Double.NEGATIVE_INFINITY;
                        for (int di = 0; di < size; di++) {
                            for (int dj = 0; dj < size; dj++) {
                                max = Math.max(max, x.get(i * size + di, j * size + dj, c));
                            }
                        }
                        y.set(i, j, c, max);
                    }
                }
            }
            return y;
        }

        private void norm(Act x, String name) {
            float[] shift = state.get(name + "/shift");
            float[] mean = state.get(name + "/mean");
            float[] variance = state.get(name + "/variance");
            for (int i = 0; i < x.v.length; i++) {
                int c = i % x.c;
                x.v[i] = (x.v[i] - mean[c]) / Math.sqrt(variance[c] + 1e-12) + shift[c];
            }
        }

        private static void gelu(Act x) {
            for (int i = 0; i < x.v.length; i++) {
                x.v[i] = 0.5 * x.v[i] * (1 + erf(x.v[i] / Math.sqrt(2)));
            }
        }

        /** Abramowitz and Stegun 7.1.26 (absolute error below 1.5e-7), odd extension. */
        private static double erf(double z) {
            double a = Math.abs(z);
            double t = 1 / (1 + 0.3275911 * a);
            double poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741
                    + t * (-1.453152027 + t * 1.061405429))));
            double value = 1 - poly * Math.exp(-a * a);
            return z < 0 ? -value : value;
        }
    }

    /** One image's activations, (row, column, channel) in row-major order. */
    private static final class Act {
        final int h;
        final int w;
        final int c;
        final double[] v;

        Act(int h, int w, int c) {
            this.h = h;
            this.w = w;
            this.c = c;
            this.v = new double[h * w * c];
        }

        double get(int i, int j, int k) {
            return v[(i * w + j) * c + k];
        }

        void set(int i, int j, int k, double value) {
            v[(i * w + j) * c + k] = value;
        }
    }
}

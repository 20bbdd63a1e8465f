package airbench.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ParameterInitTest {

    private static float at(float[] k, int row, int col, int in, int out, int inChannels, int outChannels) {
        return k[((row * 3 + col) * inChannels + in) * outChannels + out];
    }

    @Test
    void diracSetsTheFirstInputCountFiltersToIdentityAndKeepsTheRest() {
        int in = 4;
        int out = 6;
        float[] random = ParameterInit.uniformFanIn(3, 3, in, out, new SplittableRandom(7));
        float[] kernel = ParameterInit.blockConv(in, out, new SplittableRandom(7));
        for (int row = 0; row < 3; row++) {
            for (int col = 0; col < 3; col++) {
                for (int i = 0; i < in; i++) {
                    for (int o = 0; o < out; o++) {
                        float value = at(kernel, row, col, i, o, in, out);
                        if (o < in) {
                            float expected = (row == 1 && col == 1 && i == o) ? 1f : 0f;
                            assertEquals(expected, value, "identity filter " + o + " at " + row + "," + col + "," + i);
                        } else {
                            assertEquals(at(random, row, col, i, o, in, out), value, "random filter " + o + " kept");
                        }
                    }
                }
            }
        }
    }

    @Test
    void diracOnSquareConvIsExactlyTheIdentityConvolution() {
        float[] kernel = ParameterInit.blockConv(3, 3, new SplittableRandom(1));
        int ones = 0;
        for (float v : kernel) {
            if (v == 1f) {
                ones++;
            } else {
                assertEquals(0f, v);
            }
        }
        assertEquals(3, ones);
    }

    @Test
    void uniformInitStaysWithinTheFanInBoundAndUsesItsRange() {
        int in = 16;
        float[] kernel = ParameterInit.uniformFanIn(3, 3, in, 32, new SplittableRandom(3));
        double bound = 1 / Math.sqrt(9.0 * in);
        double max = 0;
        double sum = 0;
        for (float v : kernel) {
            assertTrue(Math.abs(v) <= bound, "value " + v + " beyond bound " + bound);
            max = Math.max(max, Math.abs(v));
            sum += v;
        }
        assertTrue(max > 0.95 * bound, "values should reach close to the bound, max " + max);
        assertEquals(0, sum / kernel.length, bound / 10, "uniform init is centred on zero");
    }

    /** Mean and unbiased standard deviation, two passes in double: the test's own computation. */
    private static double[] moments(double[] values) {
        double mean = java.util.Arrays.stream(values).sum() / values.length;
        double squares = java.util.Arrays.stream(values).map(v -> (v - mean) * (v - mean)).sum();
        return new double[] {mean, Math.sqrt(squares / (values.length - 1))};
    }

    /**
     * hlb's first conv of each block (docs/METHOD.md section 13), at its widths 24 -> 64, 64 -> 256, 256 -> 512:
     * every value is the affine map of (uniform init + identity) that restores the uniform init's mean and standard
     * deviation, recomputed here in double; the identity entries land near 0.69, 0.76 and 0.63 on average.
     */
    @Test
    void addedIdentityIsRenormalizedToTheRandomTensorsMeanAndStd() {
        int[][] shapes = {{24, 64}, {64, 256}, {256, 512}};
        double[] identityNear = {0.69, 0.76, 0.63};
        for (int b = 0; b < shapes.length; b++) {
            int in = shapes[b][0];
            int out = shapes[b][1];
            float[] random = ParameterInit.uniformFanIn(3, 3, in, out, new SplittableRandom(20 + b));
            float[] kernel = ParameterInit.blockConv(in, out, IdentityInit.ADD_AND_RENORMALIZE,
                    new SplittableRandom(20 + b));
            double[] before = new double[random.length];
            double[] added = new double[random.length];
            double[] result = new double[random.length];
            for (int k = 0; k < random.length; k++) {
                before[k] = random[k];
                added[k] = random[k];
                result[k] = kernel[k];
            }
            for (int i = 0; i < in; i++) {
                added[((1 * 3 + 1) * in + i) * out + i] += 1;
            }
            double[] m = moments(before);
            double[] mAdded = moments(added);
            for (int k = 0; k < kernel.length; k++) {
                double expected = (added[k] - mAdded[0]) * m[1] / mAdded[1] + m[0];
                assertEquals(expected, kernel[k], 1e-6, "value " + k + " of block " + (b + 1));
            }
            double[] mResult = moments(result);
            assertEquals(m[0], mResult[0], 1e-7, "mean kept, block " + (b + 1));
            assertEquals(m[1], mResult[1], 1e-6 * m[1], "standard deviation kept, block " + (b + 1));
            // An identity entry is (1 + its random value) mapped; their mean is about s / s' of 1.
            double identities = 0;
            for (int i = 0; i < in; i++) {
                identities += at(kernel, 1, 1, i, i, in, out) / in;
            }
            assertEquals(identityNear[b], identities, 0.02, "mean identity entry of block " + (b + 1));
        }
    }
}

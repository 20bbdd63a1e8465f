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
}

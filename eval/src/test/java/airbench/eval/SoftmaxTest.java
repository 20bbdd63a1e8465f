package airbench.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class SoftmaxTest {
    @Test
    void probabilitiesAreTheNormalizedExponentials() {
        // Row 1: logits 0, ln 2, ln 3 -> exp = 1, 2, 3 -> 1/6, 2/6, 3/6. Row 2: equal logits -> uniform.
        float[] logits = {0f, (float) Math.log(2), (float) Math.log(3), 7f, 7f, 7f};
        assertArrayEquals(new float[] {1 / 6f, 2 / 6f, 3 / 6f, 1 / 3f, 1 / 3f, 1 / 3f},
                Softmax.probabilities(logits, 3), 1e-6f);
    }

    @Test
    void hugeLogitsStayFinite() {
        float[] p = Softmax.probabilities(new float[] {1000f, 0f}, 2);
        assertEquals(1f, p[0], 0f);
        assertEquals(0f, p[1], 1e-30f);
    }

    @Test
    void largestLogProbabilityIsZeroWhenCertainAndMinusLogClassesWhenUniform() {
        double[] c = Softmax.largestLogProbability(new float[] {500f, 0f, 0f, 2f, 2f, 2f}, 3);
        assertEquals(0, c[0], 1e-12);
        assertEquals(-Math.log(3), c[1], 1e-12);
        // By hand for logits 1, 0: log(e / (e + 1)).
        assertEquals(Math.log(Math.E / (Math.E + 1)), Softmax.largestLogProbability(new float[] {1f, 0f}, 2)[0], 1e-12);
    }

    @Test
    void logitsThatAreNoRowsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> Softmax.probabilities(new float[5], 3));
    }
}

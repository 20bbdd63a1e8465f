package airbench.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Student's t upper tail against closed forms (1, 2 and 3 degrees of freedom), the printed one-sided critical values
 * of the usual t table, and the normal limit; and the p-value of {@link RunStatistics#pValueAbove} against a hand
 * computation.
 */
class StudentTTest {

    @Test
    void oneAndTwoDegreesOfFreedomMatchTheirClosedForms() {
        for (double t : new double[] {-2.5, -0.3, 0, 0.5, 1, 3, 12.706, 60}) {
            assertEquals(0.5 - Math.atan(t) / Math.PI, StudentT.upperTail(t, 1), 1e-13, "t " + t);
            assertEquals(0.5 - t / (2 * Math.sqrt(2 + t * t)), StudentT.upperTail(t, 2), 1e-13, "t " + t);
        }
    }

    /** One-sided critical values t(p, v) as t tables print them (three decimals, so p to about 1e-4). */
    @Test
    void theTablesCriticalValuesGiveTheirTailProbabilities() {
        double[][] table = {  // degrees of freedom, t, upper-tail probability
                {1, 6.314, 0.05}, {4, 4.604, 0.005}, {5, 2.015, 0.05}, {10, 1.812, 0.05}, {10, 2.764, 0.01},
                {20, 2.845, 0.005}, {30, 1.697, 0.05}, {30, 1.310, 0.10}, {120, 1.658, 0.05}, {120, 2.617, 0.005}};
        for (double[] row : table) {
            assertEquals(row[2], StudentT.upperTail(row[1], row[0]), 1e-4, "v " + row[0] + ", t " + row[1]);
            assertEquals(1 - row[2], StudentT.upperTail(-row[1], row[0]), 1e-4, "the lower side");
        }
        // many degrees of freedom: the normal distribution's 2.5% point
        assertEquals(0.025, StudentT.upperTail(1.959964, 1e7), 1e-6);
        assertEquals(0, StudentT.upperTail(Double.POSITIVE_INFINITY, 3));
        assertThrows(IllegalArgumentException.class, () -> StudentT.upperTail(1, 0));
    }

    /**
     * Four runs 0.941, 0.943, 0.939, 0.945 against 94%: mean 0.942, sd sqrt(20e-6 / 3), t = 0.002 / (sd / 2) =
     * 1.54919; with 3 degrees of freedom P(T > t) = 1/2 - (1/pi) (t / (sqrt 3 (1 + t^2 / 3)) + atan(t / sqrt 3)).
     */
    @Test
    void thePValueOfFourRunsIsTheHandComputedOne() {
        RunStatistics stats = RunStatistics.of(List.of(0.941, 0.943, 0.939, 0.945));
        double sd = Math.sqrt(20e-6 / 3);
        double t = 0.002 / (sd / 2);
        assertEquals(1.549193, t, 1e-6);
        double expected = 0.5 - (t / (Math.sqrt(3) * (1 + t * t / 3)) + Math.atan(t / Math.sqrt(3))) / Math.PI;
        assertEquals(expected, stats.pValueAbove(0.94), 1e-10);
        // a t table with 3 degrees of freedom: t 1.638 for 0.10 and 1.250 for 0.15, so p is a little above 0.10
        assertEquals(0.1096, expected, 5e-4);
        assertEquals(1 - expected, stats.pValueAbove(0.944), 1e-10, "the same distance below");
        // The hiverge record's own evidence (docs/METHOD.md section 14): 2,000 runs, mean 94.008%, sd 0.132.
        double recordT = 0.008 / (0.132 / Math.sqrt(2000));
        assertEquals(0.0034, StudentT.upperTail(recordT, 1999), 5e-5);
        assertNull(RunStatistics.of(List.of(0.95)).pValueAbove(0.94), "one run: nothing to test");
        assertEquals(0.0, RunStatistics.of(List.of(0.95, 0.95)).pValueAbove(0.94));
    }
}

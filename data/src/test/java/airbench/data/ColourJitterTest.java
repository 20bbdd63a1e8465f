package airbench.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The hiverge record's colour jitter (docs/METHOD.md section 14): per image and pass one shift b ~ U(-0.1399, 0.1399)
 * and one factor c ~ U(0.8692, 1.1308), applied as {@code x = (x + b) c} after normalization, translation and flip.
 * Checked against a plain-Java jitter of the same epoch without it: the jitter draws after everything else, so the
 * un-jittered pipeline gives the very translations, flips and order, and every value must be its plain value
 * mapped by the image's (b, c), the same for every pixel and channel.
 */
class ColourJitterTest {
    private static final CifarDataset PATTERNED = Synthetic.patterned(200);
    private static final int BATCH = 50;
    private static final double BRIGHTNESS = 0.1399;
    private static final double CONTRAST = 0.1308;
    private static final AugmentSpec PLAIN = new AugmentSpec(2, 0, FlipMode.ALTERNATING);
    private static final AugmentSpec JITTERED = new AugmentSpec(2, 0, FlipMode.ALTERNATING, false, 0, 0,
            BRIGHTNESS, CONTRAST);

    @Test
    void everyValueIsItsPlainValuePlusTheImagesShiftTimesItsFactor() {
        TrainingBatches plain = new TrainingBatches(PATTERNED, PLAIN, BATCH, 5);
        TrainingBatches jittered = new TrainingBatches(PATTERNED, JITTERED, BATCH, 5);
        for (int epoch = 0; epoch < 3; epoch++) {
            TrainingBatches.EpochPlan plan = jittered.plan(epoch);
            for (int k = 0; k < plain.stepsPerEpoch(); k++) {
                Batch p = plain.batch(epoch, k);
                Batch j = jittered.batch(epoch, k);
                assertArrayEquals(p.labels(), j.labels(), "the order is the un-jittered one");
                for (int slot = 0; slot < BATCH; slot++) {
                    int image = plan.order[k * BATCH + slot];
                    float b = plan.brightness[image];
                    float c = plan.contrast[image];
                    for (int v = 0; v < CifarDataset.IMAGE_BYTES; v++) {
                        int at = slot * CifarDataset.IMAGE_BYTES + v;
                        float expected = (p.images()[at] + b) * c;   // float, in the method's order
                        assertEquals(expected, j.images()[at], 0f, "epoch " + epoch + " image " + image + " value " + v);
                    }
                }
            }
        }
    }

    @Test
    void shiftsAndFactorsAreUniformOverTheirRangesIndependentAndFreshEveryPass() {
        TrainingBatches batches = new TrainingBatches(PATTERNED, JITTERED, BATCH, 7);
        int epochs = 20;
        int draws = epochs * PATTERNED.size();
        double[] b = new double[draws];
        double[] c = new double[draws];
        for (int e = 0; e < epochs; e++) {
            TrainingBatches.EpochPlan plan = batches.plan(e);
            for (int i = 0; i < PATTERNED.size(); i++) {
                b[e * PATTERNED.size() + i] = plan.brightness[i];
                c[e * PATTERNED.size() + i] = plan.contrast[i];
            }
        }
        assertUniform(b, -BRIGHTNESS, BRIGHTNESS);
        assertUniform(c, 1 - CONTRAST, 1 + CONTRAST);
        // b and c independent: their correlation over 4,000 draws has standard deviation 1/sqrt(4000) = 0.016
        assertEquals(0, correlation(b, c), 5 / Math.sqrt(draws));
        // a fresh draw every pass: an image's shift in one epoch says nothing about the next one
        double[] now = Arrays.copyOfRange(b, 0, draws - PATTERNED.size());
        double[] next = Arrays.copyOfRange(b, PATTERNED.size(), draws);
        assertEquals(0, correlation(now, next), 5 / Math.sqrt(now.length));
    }

    @Test
    void theJitterIsAFunctionOfTheSeedAndLeavesEveryOtherDrawAlone() {
        TrainingBatches.EpochPlan a = new TrainingBatches(PATTERNED, JITTERED, BATCH, 3).plan(1);
        TrainingBatches.EpochPlan again = new TrainingBatches(PATTERNED, JITTERED, BATCH, 3).plan(1);
        TrainingBatches.EpochPlan other = new TrainingBatches(PATTERNED, JITTERED, BATCH, 4).plan(1);
        TrainingBatches.EpochPlan plain = new TrainingBatches(PATTERNED, PLAIN, BATCH, 3).plan(1);
        assertArrayEquals(a.brightness, again.brightness);
        assertArrayEquals(a.contrast, again.contrast);
        assertFalse(Arrays.equals(a.brightness, other.brightness));
        assertArrayEquals(plain.order, a.order);
        assertArrayEquals(plain.dy, a.dy);
        assertArrayEquals(plain.dx, a.dx);
        assertNull(plain.brightness, "no jitter: no draws");
    }

    @Test
    void rangesAreChecked() {
        assertThrows(IllegalArgumentException.class, () -> new AugmentSpec(2, 0, FlipMode.NONE, false, 0, 0, -0.1, 0));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new AugmentSpec(2, 0, FlipMode.NONE, false, 0, 0, 0.1, 1));
        assertTrue(e.getMessage().contains("contrast must be in [0, 1)"), e.getMessage());
        assertFalse(PLAIN.colourJitter());
        assertTrue(JITTERED.colourJitter());
    }

    /**
     * All draws inside [lo, hi], reaching near both ends, and each quarter of the range holding a quarter of them
     * (binomial standard deviation sqrt(n / 4 * 3 / 4), within 5 of them).
     */
    private static void assertUniform(double[] x, double lo, double hi) {
        int[] quarters = new int[4];
        double min = Double.MAX_VALUE;
        double max = -Double.MAX_VALUE;
        for (double v : x) {
            assertTrue(v >= lo - 1e-7 && v <= hi + 1e-7, v + " outside [" + lo + ", " + hi + "]");
            min = Math.min(min, v);
            max = Math.max(max, v);
            quarters[Math.min(3, (int) ((v - lo) / (hi - lo) * 4))]++;
        }
        double width = hi - lo;
        assertTrue(min < lo + 0.01 * width && max > hi - 0.01 * width, "range " + min + " .. " + max);
        double sd = Math.sqrt(x.length * 0.25 * 0.75);
        for (int q : quarters) {
            assertEquals(x.length / 4.0, q, 5 * sd, Arrays.toString(quarters));
        }
    }

    private static double correlation(double[] x, double[] y) {
        double mx = Arrays.stream(x).average().orElseThrow();
        double my = Arrays.stream(y).average().orElseThrow();
        double sxy = 0;
        double sxx = 0;
        double syy = 0;
        for (int i = 0; i < x.length; i++) {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
            syy += (y[i] - my) * (y[i] - my);
        }
        return sxy / Math.sqrt(sxx * syy);
    }
}

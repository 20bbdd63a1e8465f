package airbench.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Comparator;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Selective TTA (docs/METHOD.md section 14) against a plain-Java combination of per-view logits: a linear "model" of
 * the pixels, the six views built here by index arithmetic (reflect padding by one pixel, the windows at offsets
 * (0, 0) and (2, 2), the mirrors), the least confident quarter chosen by the softmax computed here, and their logits
 * replaced by the views' mean in double.
 */
class SelectiveTtaTest {
    private static final int N = 37;
    private static final int CLASSES = 10;
    private static final int VALUES = 32 * 32 * 3;
    private static final Random RANDOM = new Random(5);
    private static final float[] IMAGES = gaussian(N * VALUES, 1);
    private static final float[] WEIGHTS = gaussian(VALUES * CLASSES, 0.02f);

    /** The linear model, counting the images it is asked about. */
    private static final class Linear implements LogitsFunction {
        int imagesSeen;

        @Override
        public float[] logits(float[] images, int count) {
            imagesSeen += count;
            float[] out = new float[count * CLASSES];
            for (int i = 0; i < count; i++) {
                double[] row = linear(images, i);
                for (int c = 0; c < CLASSES; c++) {
                    out[i * CLASSES + c] = (float) row[c];
                }
            }
            return out;
        }
    }

    private static double[] linear(float[] images, int image) {
        double[] row = new double[CLASSES];
        for (int v = 0; v < VALUES; v++) {
            for (int c = 0; c < CLASSES; c++) {
                row[c] += (double) images[image * VALUES + v] * WEIGHTS[v * CLASSES + c];
            }
        }
        return row;
    }

    /** Value (y, x, ch) of image {@code i} seen through view {@code view}: 0 plain, 1 up-left, 2 down-right, +3 mirrored. */
    private static float viewValue(int i, int view, int y, int x, int ch) {
        int sx = view >= 3 ? 31 - x : x;
        int shift = switch (view % 3) {
            case 0 -> 0;
            case 1 -> -1;
            default -> 1;
        };
        int py = reflect(y + shift);
        int px = reflect(sx + shift);
        return IMAGES[i * VALUES + (py * 32 + px) * 3 + ch];
    }

    /** Reflection without repeating the edge: -1 -> 1, 32 -> 30. */
    private static int reflect(int p) {
        return p < 0 ? -p : p > 31 ? 62 - p : p;
    }

    @Test
    void theLeastConfidentQuarterGetsTheEqualMeanOfSixViewsAndTheRestKeepTheirPlainLogits() {
        // plain logits and confidences (largest softmax probability), computed here
        double[][] plain = new double[N][];
        double[] confidence = new double[N];
        for (int i = 0; i < N; i++) {
            plain[i] = linear(IMAGES, i);
            double max = Arrays.stream(plain[i]).max().orElseThrow();
            double sum = Arrays.stream(plain[i]).map(l -> Math.exp(l - max)).sum();
            confidence[i] = 1 / sum;
        }
        int k = N / 4;   // floor(37 * 0.25) = 9
        int[] expectedSelected = IntStream.range(0, N).boxed()
                .sorted(Comparator.comparingDouble(i -> confidence[i])).limit(k).mapToInt(Integer::intValue)
                .sorted().toArray();
        double[][] expected = new double[N][];
        for (int i = 0; i < N; i++) {
            expected[i] = plain[i];
        }
        for (int i : expectedSelected) {
            double[] mean = new double[CLASSES];
            for (int view = 0; view < 6; view++) {
                float[] one = new float[VALUES];
                for (int y = 0; y < 32; y++) {
                    for (int x = 0; x < 32; x++) {
                        for (int ch = 0; ch < 3; ch++) {
                            one[(y * 32 + x) * 3 + ch] = viewValue(i, view, y, x, ch);
                        }
                    }
                }
                double[] row = linear(one, 0);
                for (int c = 0; c < CLASSES; c++) {
                    mean[c] += row[c] / 6;
                }
            }
            expected[i] = mean;
        }

        for (int batch : new int[] {N, 8}) {
            Linear model = new Linear();
            SelectiveTta.Logits result = new SelectiveTta(0.25).logits(model, IMAGES, N, batch);
            assertArrayEquals(expectedSelected, result.selected(), "batch " + batch);
            assertEquals(N + 6 * k, model.imagesSeen, "one plain pass for all, six views for the selected");
            for (int i = 0; i < N; i++) {
                for (int c = 0; c < CLASSES; c++) {
                    assertEquals(plain[i][c], result.plain()[i * CLASSES + c], 1e-4, "plain " + i);
                    assertEquals(expected[i][c], result.selective()[i * CLASSES + c], 1e-4, "image " + i + " class " + c);
                }
            }
        }
        // The views differ enough for the test to see a wrong one: the mean is not the plain logits.
        int first = expectedSelected[0];
        double moved = 0;
        for (int c = 0; c < CLASSES; c++) {
            moved = Math.max(moved, Math.abs(expected[first][c] - plain[first][c]));
        }
        assertTrue(moved > 0.05, "views too alike to test: " + moved);
    }

    @Test
    void fractionZeroIsThePlainEvaluationAndOneIsTheSixViewMeanForAll() {
        Linear model = new Linear();
        SelectiveTta.Logits none = new SelectiveTta(0).logits(model, IMAGES, N, 10);
        assertArrayEquals(none.plain(), none.selective());
        assertEquals(N, model.imagesSeen);
        SelectiveTta.Logits all = new SelectiveTta(1).logits(new Linear(), IMAGES, N, 10);
        assertArrayEquals(SelectiveTta.sixViewMean(new Linear(), IMAGES, N), all.selective());
        assertEquals(N, all.selected().length);
    }

    @Test
    void tiesGoToTheLowerIndexAndBadFractionsAreRefused() {
        float[] logits = new float[4 * 2];   // four equally unsure rows
        assertArrayEquals(new int[] {0, 1}, SelectiveTta.leastConfident(logits, 2, 2));
        assertEquals(2500, new SelectiveTta(SelectiveTta.DEFAULT_FRACTION).selectedCount(10_000));
        assertThrows(IllegalArgumentException.class, () -> new SelectiveTta(1.5));
        assertThrows(IllegalArgumentException.class, () -> new SelectiveTta(-0.1));
    }

    private static float[] gaussian(int n, float scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) RANDOM.nextGaussian() * scale;
        }
        return v;
    }
}

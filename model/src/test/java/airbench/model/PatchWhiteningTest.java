package airbench.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.nn.Conv2d;
import org.tensorflow.types.TFloat32;

/**
 * PatchWhitening against quantities the test computes itself: patches are taken from
 * an NCHW copy of the images in PyTorch's unfold order, and the kernel is read with
 * the HWIO index formula written out here, not with the class's helpers.
 */
class PatchWhiteningTest {
    private static final int SIZE = 32;
    private static final int OUT = SIZE - 1;
    private static final int FILTERS = 24;

    /**
     * Images whose three channels share one spatially smooth "luminance" field plus a little
     * independent noise, so the patch vectors are strongly correlated across channels and
     * neighbouring pixels and the smallest eigenvalues are near {@code noise^2}.
     */
    static float[] correlatedImages(int count, long seed, double noise) {
        Random random = new Random(seed);
        double[] loading = {1.0, 0.8, 0.6};
        double[] offset = {0.3, -0.1, 0.2};
        float[] images = new float[count * SIZE * SIZE * 3];
        for (int i = 0; i < count; i++) {
            double[][] field = new double[SIZE + 1][SIZE + 1];
            for (double[] row : field) {
                for (int x = 0; x < row.length; x++) {
                    row[x] = random.nextGaussian();
                }
            }
            for (int y = 0; y < SIZE; y++) {
                for (int x = 0; x < SIZE; x++) {
                    double luminance = (field[y][x] + field[y + 1][x] + field[y][x + 1] + field[y + 1][x + 1]) / 2;
                    for (int c = 0; c < 3; c++) {
                        images[((i * SIZE + y) * SIZE + x) * 3 + c] =
                                (float) (offset[c] + loading[c] * luminance + noise * random.nextGaussian());
                    }
                }
            }
        }
        return images;
    }

    /** The images as NCHW planes: [image][channel][row][column]. */
    private static double[][][][] toNchw(float[] nhwc, int count) {
        double[][][][] planes = new double[count][3][SIZE][SIZE];
        for (int i = 0; i < count; i++) {
            for (int y = 0; y < SIZE; y++) {
                for (int x = 0; x < SIZE; x++) {
                    for (int c = 0; c < 3; c++) {
                        planes[i][c][y][x] = nhwc[((i * SIZE + y) * SIZE + x) * 3 + c];
                    }
                }
            }
        }
        return planes;
    }

    /** PyTorch's unfold of a 2x2 window at (y, x) of an NCHW image: channel-major, then row, then column. */
    private static double[] unfold(double[][][] image, int y, int x) {
        double[] patch = new double[12];
        int index = 0;
        for (int c = 0; c < 3; c++) {
            for (int dy = 0; dy < 2; dy++) {
                for (int dx = 0; dx < 2; dx++) {
                    patch[index++] = image[c][y + dy][x + dx];
                }
            }
        }
        return patch;
    }

    /** Filter k applied to the window at (y, x), reading the HWIO kernel [2][2][3][24] directly. */
    private static double convolve(float[] kernel, double[][][] image, int y, int x, int k) {
        double sum = 0;
        for (int dy = 0; dy < 2; dy++) {
            for (int dx = 0; dx < 2; dx++) {
                for (int c = 0; c < 3; c++) {
                    sum += kernel[((dy * 2 + dx) * 3 + c) * FILTERS + k] * image[c][y + dy][x + dx];
                }
            }
        }
        return sum;
    }

    /** Second moment (1/n) sum of outer products of the first 12 filter responses over every window. */
    private static double[][] whitenedSecondMoment(float[] kernel, double[][][][] images) {
        double[][] moment = new double[12][12];
        double[] response = new double[12];
        long n = 0;
        for (double[][][] image : images) {
            for (int y = 0; y < OUT; y++) {
                for (int x = 0; x < OUT; x++) {
                    for (int k = 0; k < 12; k++) {
                        response[k] = convolve(kernel, image, y, x, k);
                    }
                    for (int a = 0; a < 12; a++) {
                        for (int b = 0; b < 12; b++) {
                            moment[a][b] += response[a] * response[b];
                        }
                    }
                    n++;
                }
            }
        }
        for (double[] row : moment) {
            for (int b = 0; b < 12; b++) {
                row[b] /= n;
            }
        }
        return moment;
    }

    @Test
    void secondMomentIsTheMeanOuterProductOfUnfoldedPatches() {
        int count = 3;
        float[] images = correlatedImages(count, 1, 0.05);
        double[][] expected = new double[12][12];
        for (double[][][] image : toNchw(images, count)) {
            for (int y = 0; y < OUT; y++) {
                for (int x = 0; x < OUT; x++) {
                    double[] p = unfold(image, y, x);
                    for (int a = 0; a < 12; a++) {
                        for (int b = 0; b < 12; b++) {
                            expected[a][b] += p[a] * p[b] / (count * OUT * OUT);
                        }
                    }
                }
            }
        }
        double[][] actual = PatchWhitening.secondMoment(images, count);
        for (int a = 0; a < 12; a++) {
            for (int b = 0; b < 12; b++) {
                assertEquals(expected[a][b], actual[a][b], 1e-12 * Math.abs(expected[a][b]) + 1e-15,
                        "C[" + a + "][" + b + "]");
            }
        }
    }

    /**
     * hlb's whitening matrix (docs/METHOD.md section 13): the covariance of the unfolded patches centred on their
     * mean and divided by n - 1, computed here in two passes in double (mean first, then the centred products).
     */
    @Test
    void covarianceIsTheCentredUnbiasedCovarianceOfUnfoldedPatches() {
        int count = 4;
        float[] images = correlatedImages(count, 7, 0.05);
        double[][][][] planes = toNchw(images, count);
        long n = (long) count * OUT * OUT;
        double[] mean = new double[12];
        for (double[][][] image : planes) {
            for (int y = 0; y < OUT; y++) {
                for (int x = 0; x < OUT; x++) {
                    double[] p = unfold(image, y, x);
                    for (int a = 0; a < 12; a++) {
                        mean[a] += p[a] / n;
                    }
                }
            }
        }
        double[][] expected = new double[12][12];
        for (double[][][] image : planes) {
            for (int y = 0; y < OUT; y++) {
                for (int x = 0; x < OUT; x++) {
                    double[] p = unfold(image, y, x);
                    for (int a = 0; a < 12; a++) {
                        for (int b = 0; b < 12; b++) {
                            expected[a][b] += (p[a] - mean[a]) * (p[b] - mean[b]) / (n - 1);
                        }
                    }
                }
            }
        }
        PatchWhitening.Moments moments = new PatchWhitening.Moments().add(images, count);
        double[][] actual = moments.covariance();
        double[][] uncentred = moments.secondMoment();
        for (int a = 0; a < 12; a++) {
            for (int b = 0; b < 12; b++) {
                assertEquals(expected[a][b], actual[a][b], 1e-10 * Math.abs(expected[a][b]) + 1e-14,
                        "covariance[" + a + "][" + b + "]");
            }
        }
        // The images have channel offsets 0.3, -0.1, 0.2: centring changes the matrix (C_00 by about 0.09).
        assertTrue(uncentred[0][0] - actual[0][0] > 0.05, uncentred[0][0] + " vs " + actual[0][0]);
    }

    @Test
    void momentsAddedInChunksAreTheMomentsOfAllTheImages() {
        int count = 5;
        float[] images = correlatedImages(count, 8, 0.05);
        int split = 3 * SIZE * SIZE * 3;
        PatchWhitening.Moments chunked = new PatchWhitening.Moments()
                .add(java.util.Arrays.copyOfRange(images, 0, split), 3)
                .add(java.util.Arrays.copyOfRange(images, split, images.length), 2);
        PatchWhitening.Moments whole = new PatchWhitening.Moments().add(images, count);
        assertEquals(5, chunked.images());
        assertEquals(5L * OUT * OUT, chunked.patches());
        double[][] secondMoment = PatchWhitening.secondMoment(images, count);
        for (int a = 0; a < 12; a++) {
            org.junit.jupiter.api.Assertions.assertArrayEquals(whole.covariance()[a], chunked.covariance()[a]);
            org.junit.jupiter.api.Assertions.assertArrayEquals(secondMoment[a], chunked.secondMoment()[a]);
        }
    }

    /** The centred whitening with hlb's epsilon 1e-2: the covariance of the responses is diag(lambda / (lambda + eps)). */
    @Test
    void centredWhiteningShrinksEachDirectionOfTheCovariance() {
        int count = 20;
        double eps = 1e-2;
        float[] images = correlatedImages(count, 9, 0.05);
        PatchWhitening.Whitening whitening = PatchWhitening.whiten(new PatchWhitening.Moments().add(images, count),
                true, eps);
        double[] values = whitening.eigen().values();
        double[][][][] planes = toNchw(images, count);
        double[][] responses = new double[(int) ((long) count * OUT * OUT)][12];
        double[] mean = new double[12];
        int row = 0;
        for (double[][][] image : planes) {
            for (int y = 0; y < OUT; y++) {
                for (int x = 0; x < OUT; x++, row++) {
                    for (int k = 0; k < 12; k++) {
                        responses[row][k] = convolve(whitening.kernel(), image, y, x, k);
                        mean[k] += responses[row][k] / responses.length;
                    }
                }
            }
        }
        for (int a = 0; a < 12; a++) {
            for (int b = 0; b < 12; b++) {
                double covariance = 0;
                for (double[] r : responses) {
                    covariance += (r[a] - mean[a]) * (r[b] - mean[b]) / (responses.length - 1);
                }
                double expected = a == b ? values[a] / (values[a] + eps) : 0.0;
                assertEquals(expected, covariance, 1e-4, "whitened covariance [" + a + "][" + b + "]");
            }
        }
    }

    @Test
    void eigenDecompositionIsSortedByDecreasingValueWithAFixedSign() {
        // [[2, 1], [1, 2]] has eigenvalues 3 (vector (1, 1)/sqrt 2) and 1 (vector (1, -1)/sqrt 2).
        // TensorFlow returns them in increasing order; the class must reverse that.
        PatchWhitening.Eigen eigen = PatchWhitening.eigen(new double[][] {{2, 1}, {1, 2}});
        double r = Math.sqrt(0.5);
        assertEquals(3, eigen.values()[0], 1e-12);
        assertEquals(1, eigen.values()[1], 1e-12);
        assertEquals(r, eigen.vectors()[0][0], 1e-12);
        assertEquals(r, eigen.vectors()[0][1], 1e-12);
        // Both components have the same magnitude; the first counts as the largest and is made positive.
        assertEquals(r, eigen.vectors()[1][0], 1e-12);
        assertEquals(-r, eigen.vectors()[1][1], 1e-12);

        // A diagonal matrix: the order of the eigenvalues must come from their values, not their positions.
        PatchWhitening.Eigen diagonal = PatchWhitening.eigen(new double[][] {{1, 0, 0}, {0, 3, 0}, {0, 0, -2}});
        assertEquals(List.of(3.0, 1.0, -2.0), List.of(diagonal.values()[0], diagonal.values()[1],
                diagonal.values()[2]));
        assertEquals(1, diagonal.vectors()[0][1], 1e-12);
        assertEquals(1, diagonal.vectors()[1][0], 1e-12);
        assertEquals(1, diagonal.vectors()[2][2], 1e-12);
    }

    @Test
    void whitenedPatchesHaveIdentitySecondMomentWhenEpsIsTiny() {
        int count = 20;
        float[] images = correlatedImages(count, 2, 0.03);
        PatchWhitening.Whitening whitening = PatchWhitening.whiten(images, count, 1e-9);
        double[] values = whitening.eigen().values();
        // The sample is strongly correlated: the spread of eigenvalues is what makes whitening non-trivial.
        assertTrue(values[0] / values[11] > 1000, "condition number " + values[0] / values[11]);

        double[][] moment = whitenedSecondMoment(whitening.kernel(), toNchw(images, count));
        for (int a = 0; a < 12; a++) {
            for (int b = 0; b < 12; b++) {
                assertEquals(a == b ? 1.0 : 0.0, moment[a][b], 1e-4, "whitened second moment [" + a + "][" + b + "]");
            }
        }
    }

    @Test
    void epsShrinksEachWhitenedDirectionToLambdaOverLambdaPlusEps() {
        int count = 20;
        double eps = 5e-4;
        float[] images = correlatedImages(count, 3, 0.03);
        PatchWhitening.Whitening whitening = PatchWhitening.whiten(images, count, eps);
        double[] values = whitening.eigen().values();

        // Independent check of the eigenvalues: their sum is the trace of C, their order decreasing.
        double trace = 0;
        for (int a = 0; a < 12; a++) {
            trace += whitening.secondMoment()[a][a];
        }
        assertEquals(trace, java.util.Arrays.stream(values).sum(), 1e-10 * trace);
        for (int k = 1; k < 12; k++) {
            assertTrue(values[k] <= values[k - 1], "eigenvalues must decrease: " + java.util.Arrays.toString(values));
        }

        double[][] moment = whitenedSecondMoment(whitening.kernel(), toNchw(images, count));
        for (int a = 0; a < 12; a++) {
            for (int b = 0; b < 12; b++) {
                double expected = a == b ? values[a] / (values[a] + eps) : 0.0;
                assertEquals(expected, moment[a][b], 1e-4, "whitened second moment [" + a + "][" + b + "]");
            }
        }
        // With noise 0.03 the weakest directions have lambda near 9e-4, so eps visibly shrinks them.
        assertTrue(moment[11][11] < 0.8, "weakest direction scaled to " + moment[11][11]);
        assertTrue(moment[0][0] > 0.999, "strongest direction scaled to " + moment[0][0]);
    }

    @Test
    void kernelAppliedByTensorFlowConv2dEqualsPatchDotFilter() {
        int count = 2;
        double eps = 5e-4;
        float[] images = correlatedImages(count, 4, 0.1);
        PatchWhitening.Whitening whitening = PatchWhitening.whiten(images, count, eps);
        float[] kernel = whitening.kernel();

        // Filters as 12-vectors in unfold order, built from the eigen-decomposition alone.
        double[][] filters = new double[FILTERS][12];
        for (int k = 0; k < 12; k++) {
            double scale = 1 / Math.sqrt(whitening.eigen().values()[k] + eps);
            for (int i = 0; i < 12; i++) {
                filters[k][i] = whitening.eigen().vectors()[k][i] * scale;
                filters[k + 12][i] = -filters[k][i];
            }
        }

        float[] convolved = new float[count * OUT * OUT * FILTERS];
        try (Graph graph = new Graph(); Session session = new Session(graph)) {
            Ops tf = Ops.create(graph);
            Conv2d<TFloat32> conv = tf.nn.conv2d(
                    tf.constant(Shape.of(count, SIZE, SIZE, 3), DataBuffers.of(images, true, false)),
                    tf.constant(Shape.of(2, 2, 3, FILTERS), DataBuffers.of(kernel, true, false)),
                    List.of(1L, 1L, 1L, 1L), "VALID");
            try (Result result = session.runner().fetch(conv).run()) {
                TFloat32 output = (TFloat32) result.get(0);
                assertEquals(Shape.of(count, OUT, OUT, FILTERS), output.shape());
                output.copyTo(DataBuffers.of(convolved, false, false));
            }
        }

        double[][][][] planes = toNchw(images, count);
        double largestError = 0;
        for (int i = 0; i < count; i++) {
            for (int y = 0; y < OUT; y++) {
                for (int x = 0; x < OUT; x++) {
                    double[] patch = unfold(planes[i], y, x);
                    for (int k = 0; k < FILTERS; k++) {
                        double expected = 0;
                        for (int j = 0; j < 12; j++) {
                            expected += patch[j] * filters[k][j];
                        }
                        double actual = convolved[((i * OUT + y) * OUT + x) * FILTERS + k];
                        largestError = Math.max(largestError, Math.abs(actual - expected) / (1 + Math.abs(expected)));
                    }
                }
            }
        }
        assertTrue(largestError < 1e-4, "largest relative difference " + largestError);
    }

    @Test
    void filtersTwelveToTwentyThreeAreExactNegatives() {
        float[] kernel = PatchWhitening.filters(correlatedImages(2, 5, 0.05), 2, 5e-4);
        assertEquals(2 * 2 * 3 * FILTERS, kernel.length);
        int nonZero = 0;
        for (int position = 0; position < 12; position++) {  // (row, col, channel)
            for (int k = 0; k < 12; k++) {
                float positive = kernel[position * FILTERS + k];
                assertEquals(-positive, kernel[position * FILTERS + k + 12], 0.0, "position " + position + " filter " + k);
                nonZero += positive != 0 ? 1 : 0;
            }
        }
        assertTrue(nonZero > 100, "the kernel should be dense, has " + nonZero + " non-zero weights of 144");
    }

    @Test
    void smallEigenvaluesSurviveALargeOffsetBecauseTheSumIsInDouble() {
        // Patches = 3 + 1e-3 * noise: C = 9 * ones + about 1e-6 * identity. A float32 sum over these
        // 96,100 patches carries an absolute error near 1e-4 and would swamp the 1e-6 eigenvalues.
        int count = 100;
        Random random = new Random(6);
        float[] images = new float[count * SIZE * SIZE * 3];
        for (int i = 0; i < images.length; i++) {
            images[i] = (float) (3 + 1e-3 * random.nextGaussian());
        }
        double[] values = PatchWhitening.whiten(images, count, 5e-4).eigen().values();
        assertEquals(12 * 9, values[0], 0.01);
        for (int k = 1; k < 12; k++) {
            assertEquals(1e-6, values[k], 0.15e-6, "eigenvalue " + k);
        }
    }

    @Test
    void rejectsWrongInputClearly() {
        float[] one = new float[SIZE * SIZE * 3];
        IllegalArgumentException wrongLength = assertThrows(IllegalArgumentException.class,
                () -> PatchWhitening.filters(new float[one.length - 1], 1, 5e-4));
        assertTrue(wrongLength.getMessage().contains("3072"), wrongLength.getMessage());
        assertThrows(IllegalArgumentException.class, () -> PatchWhitening.filters(one, 2, 5e-4));
        IllegalArgumentException noImages = assertThrows(IllegalArgumentException.class,
                () -> PatchWhitening.filters(new float[0], 0, 5e-4));
        assertTrue(noImages.getMessage().contains("at least one image"), noImages.getMessage());

        float[] withNaN = correlatedImages(1, 7, 0.05);
        withNaN[100] = Float.NaN;
        assertThrows(IllegalArgumentException.class, () -> PatchWhitening.filters(withNaN, 1, 5e-4));

        // Black images: C = 0, so lambda + eps = 0 and no finite filter exists.
        assertThrows(IllegalStateException.class, () -> PatchWhitening.filters(one, 1, 0));
    }
}

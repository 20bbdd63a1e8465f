package airbench.tools;

import org.tensorflow.Graph;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.linalg.SelfAdjointEig;
import org.tensorflow.types.TFloat64;

/**
 * The frozen first layer of the network (METHOD.md section 4): 2x2 filters that
 * whiten the image patches of a sample of training images.
 *
 * <p>Every 2x2 patch is a 12-vector ordered (channel, row, column), the order in
 * which PyTorch unfolds an NCHW image. Their second-moment matrix
 * {@code C = P^T P / n} (no mean subtraction) is accumulated in double: in float32
 * the sum over millions of patches loses the smallest eigenvalues, which then
 * scale the weakest filter several times too large. With {@code C = V diag(lambda) V^T}
 * sorted by decreasing eigenvalue, filter k is {@code v_k / sqrt(lambda_k + eps)},
 * and filters 12..23 are the negatives of 0..11.
 */
public final class PatchWhitening {
    /** Values per patch: 3 channels x 2 rows x 2 columns. */
    public static final int PATCH = 12;
    /** Output filters: the 12 whitening filters and their negatives. */
    public static final int FILTERS = 2 * PATCH;
    private static final int SIZE = 32;

    /** Eigen-decomposition of the patch second-moment matrix, eigenvalues in decreasing order. */
    public record Eigen(double[] values, double[][] vectors) {}

    private PatchWhitening() {}

    /**
     * The whitening kernel in TensorFlow's HWIO layout [2, 2, 3, 24], flattened with index
     * {@code ((row * 2 + col) * 3 + c) * 24 + k}.
     *
     * @param normalizedImages float NHWC [n, 32, 32, 3], normalized and not augmented
     */
    public static float[] filters(float[] normalizedImages, int imageCount, double eps) {
        Eigen eigen = eigen(secondMoment(normalizedImages, imageCount));
        float[] kernel = new float[2 * 2 * 3 * FILTERS];
        for (int k = 0; k < PATCH; k++) {
            double scale = 1 / Math.sqrt(eigen.values()[k] + eps);
            if (!Double.isFinite(scale)) {
                throw new IllegalStateException("whitening eigenvalue " + eigen.values()[k] + " + eps " + eps
                        + " is not positive; the image sample is degenerate");
            }
            for (int c = 0; c < 3; c++) {
                for (int row = 0; row < 2; row++) {
                    for (int col = 0; col < 2; col++) {
                        float w = (float) (eigen.vectors()[k][patchIndex(c, row, col)] * scale);
                        int base = ((row * 2 + col) * 3 + c) * FILTERS;
                        kernel[base + k] = w;
                        kernel[base + k + PATCH] = -w;
                    }
                }
            }
        }
        return kernel;
    }

    /** Position of (channel, row, column) in a patch vector. */
    static int patchIndex(int c, int row, int col) {
        return (c * 2 + row) * 2 + col;
    }

    /** {@code C = P^T P / n} over every 2x2 patch (31 x 31 per image), accumulated in double. */
    public static double[][] secondMoment(float[] images, int imageCount) {
        if (imageCount < 1) {
            throw new IllegalArgumentException("whitening needs at least one image, got " + imageCount);
        }
        if (images.length != (long) imageCount * SIZE * SIZE * 3) {
            throw new IllegalArgumentException("expected " + imageCount + " images of 32x32x3 ("
                    + (long) imageCount * SIZE * SIZE * 3 + " values), got " + images.length + " values");
        }
        double[] upper = new double[PATCH * (PATCH + 1) / 2];
        double[] patch = new double[PATCH];
        for (int i = 0; i < imageCount; i++) {
            int imageBase = i * SIZE * SIZE * 3;
            for (int y = 0; y < SIZE - 1; y++) {
                for (int x = 0; x < SIZE - 1; x++) {
                    for (int row = 0; row < 2; row++) {
                        for (int col = 0; col < 2; col++) {
                            int pixel = imageBase + ((y + row) * SIZE + x + col) * 3;
                            for (int c = 0; c < 3; c++) {
                                patch[patchIndex(c, row, col)] = images[pixel + c];
                            }
                        }
                    }
                    int index = 0;
                    for (int a = 0; a < PATCH; a++) {
                        double pa = patch[a];
                        for (int b = a; b < PATCH; b++) {
                            upper[index++] += pa * patch[b];
                        }
                    }
                }
            }
        }
        double n = (double) imageCount * (SIZE - 1) * (SIZE - 1);
        double[][] c = new double[PATCH][PATCH];
        int index = 0;
        for (int a = 0; a < PATCH; a++) {
            for (int b = a; b < PATCH; b++) {
                c[a][b] = upper[index] / n;
                c[b][a] = upper[index] / n;
                index++;
            }
        }
        return c;
    }

    /** Eigen-decomposition by TensorFlow's SelfAdjointEig in float64, re-sorted by decreasing eigenvalue. */
    public static Eigen eigen(double[][] matrix) {
        int n = matrix.length;
        double[] flat = new double[n * n];
        for (int i = 0; i < n; i++) {
            System.arraycopy(matrix[i], 0, flat, i * n, n);
        }
        try (Graph graph = new Graph(); Session session = new Session(graph);
             TFloat64 input = TFloat64.tensorOf(Shape.of(n, n), DataBuffers.of(flat, true, false))) {
            Ops tf = Ops.create(graph);
            var placeholder = tf.placeholder(TFloat64.class);
            SelfAdjointEig<TFloat64> eig = tf.linalg.selfAdjointEig(placeholder, SelfAdjointEig.computeV(true));
            try (Result result = session.runner().feed(placeholder, input).fetch(eig.e()).fetch(eig.v()).run()) {
                double[] ascending = new double[n];
                ((TFloat64) result.get(0)).copyTo(DataBuffers.of(ascending, false, false));
                double[] columns = new double[n * n];
                ((TFloat64) result.get(1)).copyTo(DataBuffers.of(columns, false, false));
                double[] values = new double[n];
                double[][] vectors = new double[n][n];
                for (int k = 0; k < n; k++) {
                    int source = n - 1 - k;   // TensorFlow returns ascending order
                    values[k] = ascending[source];
                    for (int i = 0; i < n; i++) {
                        vectors[k][i] = columns[i * n + source];
                    }
                }
                return new Eigen(values, vectors);
            }
        }
    }
}

package airbench.model;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.tensorflow.Graph;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.linalg.SelfAdjointEig;
import org.tensorflow.types.TFloat64;

/**
 * The frozen first layer of the network (docs/METHOD.md section 4): 2x2 filters that
 * whiten the image patches of a sample of training images.
 *
 * <p>Every 2x2 patch is a 12-vector ordered (channel, row, column), the order in
 * which PyTorch unfolds an NCHW image. Their second-moment matrix
 * {@code C = P^T P / n} (no mean subtraction, as in the reference) is accumulated
 * in double: in float32 the sum over millions of patches loses the smallest
 * eigenvalues, which then scale the weakest filter several times too large (or
 * make {@code lambda + eps} negative). With {@code C = V diag(lambda) V^T} sorted by
 * decreasing eigenvalue, filter k is {@code v_k / sqrt(lambda_k + eps)}, and
 * filters 12..23 are the negatives of 0..11.
 *
 * <p>hlb-CIFAR10 (docs/METHOD.md section 13) decomposes the mean-centred, unbiased covariance
 * {@code (P^T P - n mu mu^T) / (n - 1)} instead ({@link Moments#covariance}), of all 50,000 training
 * images: {@link Moments} accumulates the sums chunk by chunk, so that the images need not be
 * normalized all at once (614 MB as floats).
 */
public final class PatchWhitening {
    /** Values per patch: 3 channels x 2 rows x 2 columns. */
    public static final int PATCH = 12;
    /** Output filters: the 12 whitening filters and their negatives. */
    public static final int FILTERS = 2 * PATCH;
    /** Values of the flattened HWIO kernel [2, 2, 3, 24]. */
    public static final int KERNEL_LENGTH = 2 * 2 * 3 * FILTERS;

    private static final Logger LOG = LogManager.getLogger(PatchWhitening.class);
    private static final int SIZE = 32;
    private static final int CHANNELS = 3;
    private static final int IMAGE_VALUES = SIZE * SIZE * CHANNELS;
    /** VALID 2x2 patches per image and per axis. */
    private static final int PATCHES_PER_AXIS = SIZE - 1;

    /**
     * Eigen-decomposition of the patch second-moment matrix.
     *
     * @param values  eigenvalues in decreasing order
     * @param vectors {@code vectors[k]} is the unit eigenvector of {@code values[k]}, in patch order
     *                (channel, row, column); its largest-magnitude component is positive
     */
    public record Eigen(double[] values, double[][] vectors) {}

    /**
     * Everything the whitening layer is made of, for callers that want to inspect it.
     *
     * @param secondMoment {@code C = P^T P / n}, 12 x 12
     * @param eigen        decomposition of {@code secondMoment}
     * @param kernel       the HWIO kernel returned by {@link #filters}
     */
    public record Whitening(double[][] secondMoment, Eigen eigen, float[] kernel) {}

    private PatchWhitening() {}

    /**
     * The whitening kernel in TensorFlow's HWIO layout [2, 2, 3, 24], flattened with index
     * {@code ((row * 2 + col) * 3 + c) * 24 + k}.
     *
     * @param normalizedImages float NHWC [n, 32, 32, 3], normalized and not augmented
     * @param imageCount       n, at least 1
     * @param eps              added to every eigenvalue before the inverse square root (5e-4 in the method)
     */
    public static float[] filters(float[] normalizedImages, int imageCount, double eps) {
        return whiten(normalizedImages, imageCount, eps).kernel();
    }

    /** Like {@link #filters} but also returns the second-moment matrix and its eigen-decomposition. */
    public static Whitening whiten(float[] normalizedImages, int imageCount, double eps) {
        long start = System.nanoTime();
        return whiten(new Moments().add(normalizedImages, imageCount), false, eps, start);
    }

    /**
     * The whitening of the patches accumulated in {@code moments}: of their second moment {@code P^T P / n}
     * (airbench), or with {@code centred} of their mean-centred unbiased covariance (hlb-CIFAR10).
     * {@link Whitening#secondMoment} is then the matrix decomposed.
     */
    public static Whitening whiten(Moments moments, boolean centred, double eps) {
        return whiten(moments, centred, eps, System.nanoTime());
    }

    private static Whitening whiten(Moments moments, boolean centred, double eps, long start) {
        double[][] matrix = centred ? moments.covariance() : moments.secondMoment();
        Eigen eigen = eigen(matrix);
        float[] kernel = kernel(eigen, eps);
        LOG.info("whitening from {} images ({} patches, {}) in {} ms; eigenvalues {} .. {}", moments.images(),
                moments.patches(), centred ? "centred covariance" : "second moment",
                (System.nanoTime() - start) / 1_000_000,
                String.format("%.4g", eigen.values()[0]), String.format("%.4g", eigen.values()[PATCH - 1]));
        return new Whitening(matrix, eigen, kernel);
    }

    /**
     * Sums over every 2x2 VALID patch (31 x 31 per image) of images added in any number of chunks, in double:
     * the patch count, the sum of the patch vectors and the upper triangle of the sum of their outer products
     * (78 of 144 products per patch; the lower one is mirrored). Adding the same images in one call or in
     * several, in the same order, gives the same sums to the bit.
     */
    public static final class Moments {
        private final double[] upper = new double[PATCH * (PATCH + 1) / 2];
        private final double[] sums = new double[PATCH];
        private long images;

        /**
         * Adds every patch of {@code imageCount} normalized NHWC [n, 32, 32, 3] images.
         *
         * @return this
         */
        public Moments add(float[] normalizedImages, int imageCount) {
            if (imageCount < 1) {
                throw new IllegalArgumentException("whitening needs at least one image, got " + imageCount);
            }
            if (normalizedImages.length != (long) imageCount * IMAGE_VALUES) {
                throw new IllegalArgumentException("expected " + imageCount + " images of 32x32x3 ("
                        + (long) imageCount * IMAGE_VALUES + " values), got " + normalizedImages.length + " values");
            }
            double[] patch = new double[PATCH];
            for (int i = 0; i < imageCount; i++) {
                int imageBase = i * IMAGE_VALUES;
                for (int y = 0; y < PATCHES_PER_AXIS; y++) {
                    for (int x = 0; x < PATCHES_PER_AXIS; x++) {
                        for (int row = 0; row < 2; row++) {
                            for (int col = 0; col < 2; col++) {
                                int pixel = imageBase + ((y + row) * SIZE + x + col) * CHANNELS;
                                for (int c = 0; c < CHANNELS; c++) {
                                    patch[patchIndex(c, row, col)] = normalizedImages[pixel + c];
                                }
                            }
                        }
                        accumulate(patch);
                    }
                }
            }
            images += imageCount;
            return this;
        }

        private void accumulate(double[] patch) {
            int index = 0;
            for (int a = 0; a < PATCH; a++) {
                double pa = patch[a];
                sums[a] += pa;
                for (int b = a; b < PATCH; b++) {
                    upper[index++] += pa * patch[b];
                }
            }
        }

        /** Images added so far. */
        public long images() {
            return images;
        }

        /** Patches added so far, n. */
        public long patches() {
            return images * PATCHES_PER_AXIS * PATCHES_PER_AXIS;
        }

        /** {@code C = P^T P / n}, no mean subtracted (airbench). */
        public double[][] secondMoment() {
            double n = requirePatches(1);
            return symmetric((a, b, product) -> product / n);
        }

        /**
         * The mean-centred, unbiased covariance {@code (P^T P - n mu mu^T) / (n - 1)} = {@code (S_ab - S_a S_b / n)
         * / (n - 1)} with S the sums (hlb-CIFAR10, as {@code torch.cov}).
         */
        public double[][] covariance() {
            double n = requirePatches(2);
            return symmetric((a, b, product) -> (product - sums[a] * sums[b] / n) / (n - 1));
        }

        private double requirePatches(long atLeast) {
            if (patches() < atLeast) {
                throw new IllegalArgumentException("whitening needs at least one image, got " + images);
            }
            return (double) patches();
        }

        private interface Entry {
            double value(int a, int b, double product);
        }

        private double[][] symmetric(Entry entry) {
            double[][] c = new double[PATCH][PATCH];
            int index = 0;
            for (int a = 0; a < PATCH; a++) {
                for (int b = a; b < PATCH; b++) {
                    double value = entry.value(a, b, upper[index++]);
                    if (!Double.isFinite(value)) {
                        throw new IllegalArgumentException("the whitening images contain NaN or infinite values");
                    }
                    c[a][b] = value;
                    c[b][a] = value;
                }
            }
            return c;
        }
    }

    /** Filter k = v_k / sqrt(lambda_k + eps), filter k + 12 = -(filter k), in HWIO layout. */
    static float[] kernel(Eigen eigen, double eps) {
        float[] kernel = new float[KERNEL_LENGTH];
        for (int k = 0; k < PATCH; k++) {
            double shifted = eigen.values()[k] + eps;
            if (!(shifted > 0)) {
                throw new IllegalStateException("whitening eigenvalue " + eigen.values()[k] + " + eps " + eps
                        + " is not positive; the image sample is degenerate");
            }
            double scale = 1 / Math.sqrt(shifted);
            for (int c = 0; c < CHANNELS; c++) {
                for (int row = 0; row < 2; row++) {
                    for (int col = 0; col < 2; col++) {
                        float w = (float) (eigen.vectors()[k][patchIndex(c, row, col)] * scale);
                        int base = kernelIndex(row, col, c, 0);
                        kernel[base + k] = w;
                        kernel[base + k + PATCH] = -w;
                    }
                }
            }
        }
        return kernel;
    }

    /** Position of (channel, row, column) in a patch vector: PyTorch's unfold order on NCHW. */
    public static int patchIndex(int c, int row, int col) {
        return (c * 2 + row) * 2 + col;
    }

    /** Position of weight (row, col, input channel c, filter k) in the flattened HWIO kernel. */
    public static int kernelIndex(int row, int col, int c, int k) {
        return ((row * 2 + col) * CHANNELS + c) * FILTERS + k;
    }

    /** {@code C = P^T P / n} over every 2x2 VALID patch (31 x 31 per image), accumulated in double. */
    public static double[][] secondMoment(float[] images, int imageCount) {
        return new Moments().add(images, imageCount).secondMoment();
    }

    /**
     * Eigen-decomposition of a symmetric matrix by TensorFlow's SelfAdjointEig in float64, sorted by
     * decreasing eigenvalue. Each eigenvector's sign is fixed (largest-magnitude component positive)
     * so that the kernel does not depend on the sign convention of the underlying solver.
     */
    public static Eigen eigen(double[][] matrix) {
        int n = matrix.length;
        double[] flat = new double[n * n];
        for (int i = 0; i < n; i++) {
            if (matrix[i].length != n) {
                throw new IllegalArgumentException("matrix is not square: row " + i + " has " + matrix[i].length
                        + " values, expected " + n);
            }
            System.arraycopy(matrix[i], 0, flat, i * n, n);
        }
        double[] rawValues = new double[n];
        double[] columns = new double[n * n];  // row-major [n, n]; column j is eigenvector j
        try (Graph graph = new Graph(); Session session = new Session(graph);
             TFloat64 input = TFloat64.tensorOf(Shape.of(n, n), DataBuffers.of(flat, true, false))) {
            Ops tf = Ops.create(graph);
            Placeholder<TFloat64> placeholder = tf.placeholder(TFloat64.class);
            SelfAdjointEig<TFloat64> eig = tf.linalg.selfAdjointEig(placeholder, SelfAdjointEig.computeV(true));
            try (Result result = session.runner().feed(placeholder, input).fetch(eig.e()).fetch(eig.v()).run()) {
                ((TFloat64) result.get(0)).copyTo(DataBuffers.of(rawValues, false, false));
                ((TFloat64) result.get(1)).copyTo(DataBuffers.of(columns, false, false));
            }
        }
        Integer[] order = IntStream.range(0, n).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.comparingDouble((Integer j) -> rawValues[j]).reversed());
        double[] values = new double[n];
        double[][] vectors = new double[n][n];
        for (int k = 0; k < n; k++) {
            int source = order[k];
            values[k] = rawValues[source];
            for (int i = 0; i < n; i++) {
                vectors[k][i] = columns[i * n + source];
            }
            fixSign(vectors[k]);
        }
        return new Eigen(values, vectors);
    }

    private static void fixSign(double[] vector) {
        int largest = 0;
        for (int i = 1; i < vector.length; i++) {
            if (Math.abs(vector[i]) > Math.abs(vector[largest])) {
                largest = i;
            }
        }
        if (vector[largest] < 0) {
            for (int i = 0; i < vector.length; i++) {
                vector[i] = -vector[i];
            }
        }
    }
}

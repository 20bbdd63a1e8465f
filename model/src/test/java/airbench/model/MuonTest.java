package airbench.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;

/**
 * The Muon graph ops against plain-Java double-precision computations written from docs/METHOD.md
 * section 10 (PyTorch's filter layout, the quintic Newton-Schulz iteration, the update).
 */
class MuonTest {

    /**
     * Bound on |graph - double| of a Newton-Schulz result: the graph rounds every intermediate to
     * bfloat16 (relative 2^-9), and three iterations, which multiply small singular values by up to
     * 3.4 each, amplify that. Measured on the two matrices below (entries up to 0.38): 0.0125 and
     * 0.0108; with the rounding removed (float32) the same graph is within 5e-7 of the double result,
     * and two iterations instead of three are 0.14 away.
     */
    private static final double NS_TOLERANCE = 0.025;

    @Test
    void newtonSchulzMatchesDoublePrecisionOnAWideAndATallMatrix() {
        Random random = new Random(42);
        for (int[] shape : new int[][] {{24, 60}, {50, 20}}) {
            double[][] g = gaussian(shape[0], shape[1], random);
            double[][] expected = newtonSchulz(g, Muon.NEWTON_SCHULZ_STEPS);
            float[] actual = runNewtonSchulz(g);
            double error = maxAbsDifference(expected, actual);
            assertTrue(error < NS_TOLERANCE, shape[0] + "x" + shape[1] + ": max |graph - double| = " + error);
            // The tolerance tells iterations apart: two iterations instead of three are far outside it.
            double wrong = maxAbsDifference(newtonSchulz(g, 2), actual);
            assertTrue(wrong > 4 * NS_TOLERANCE, shape[0] + "x" + shape[1] + ": two iterations differ only by " + wrong);
            for (float v : actual) {
                assertEquals(0, Float.floatToRawIntBits(v) & 0xFFFF, "not a bfloat16 value: " + v);
            }
        }
    }

    @Test
    void filterMatrixHasPyTorchsElementOrderAndGoesBack() {
        int in = 2;
        int out = 5;
        float[] hwio = new float[9 * in * out];
        for (int i = 0; i < hwio.length; i++) {
            hwio[i] = i;
        }
        try (Graph graph = new Graph(); Session session = new Session(graph)) {
            Ops tf = Ops.create(graph);
            Operand<TFloat32> kernel = tf.constant(Shape.of(3, 3, in, out), DataBuffers.of(hwio));
            Operand<TFloat32> matrix = Muon.filterMatrix(tf, kernel);
            Operand<TFloat32> back = Muon.filterFromMatrix(tf, matrix, kernel.shape());
            assertEquals(Shape.of(out, in * 9), matrix.shape());
            float[] m = fetch(session, matrix);
            // PyTorch: weight[o, i, row, col].reshape(out, -1)[o, i * 9 + row * 3 + col]
            for (int o = 0; o < out; o++) {
                for (int i = 0; i < in; i++) {
                    for (int row = 0; row < 3; row++) {
                        for (int col = 0; col < 3; col++) {
                            assertEquals(hwio[((row * 3 + col) * in + i) * out + o], m[o * in * 9 + i * 9 + row * 3 + col],
                                    "o " + o + " i " + i + " at " + row + "," + col);
                        }
                    }
                }
            }
            assertArrayEquals(hwio, fetch(session, back));
        }
    }

    /** One step of a wide (5 x 18) and a tall (12 x 9) filter from non-zero momentum, against the closed form. */
    @Test
    void oneMuonStepOfAToyFilterMatchesTheClosedForm() {
        double lr = 0.24;
        double mu = 0.6;
        double s = 0.7;
        Random random = new Random(3);
        for (int[] io : new int[][] {{2, 5}, {1, 12}}) {
            int in = io[0];
            int out = io[1];
            int n = 9 * in * out;
            float[] w0 = floats(n, random, 0.3);
            float[] buf0 = floats(n, random, 0.1);
            float[] g = floats(n, random, 0.05);

            // Closed form in double, in PyTorch's layout: buf = mu buf + g; u = g + mu buf;
            // W = W sqrt(out) / ||W||; W -= s lr NS(u as out x in*9).
            double[] buf = new double[n];
            double[] u = new double[n];
            double norm = 0;
            for (int k = 0; k < n; k++) {
                buf[k] = mu * buf0[k] + g[k];
                u[k] = g[k] + mu * buf[k];
                norm += (double) w0[k] * w0[k];
            }
            double[][] update = newtonSchulz(asPyTorchMatrix(u, in, out), Muon.NEWTON_SCHULZ_STEPS);
            double[] expected = new double[n];
            for (int row = 0; row < 3; row++) {
                for (int col = 0; col < 3; col++) {
                    for (int i = 0; i < in; i++) {
                        for (int o = 0; o < out; o++) {
                            int k = ((row * 3 + col) * in + i) * out + o;
                            expected[k] = w0[k] * Math.sqrt(out) / Math.sqrt(norm)
                                    - s * lr * update[o][i * 9 + row * 3 + col];
                        }
                    }
                }
            }

            try (Graph graph = new Graph(); Session session = new Session(graph)) {
                Ops tf = Ops.create(graph);
                Shape shape = Shape.of(3, 3, in, out);
                Variable<TFloat32> w = tf.variable(tf.constant(shape, DataBuffers.of(w0)));
                Variable<TFloat32> b = tf.variable(tf.constant(shape, DataBuffers.of(buf0)));
                Op step = Muon.update(tf, w, b, tf.constant(shape, DataBuffers.of(g)), lr, mu,
                        tf.constant((float) s));
                session.initialize();
                session.run(step);
                float[] bufAfter = fetch(session, b);
                float[] wAfter = fetch(session, w);
                for (int k = 0; k < n; k++) {
                    assertEquals(buf[k], bufAfter[k], 1e-6, "buffer " + k);
                    assertEquals(expected[k], wAfter[k], s * lr * NS_TOLERANCE, in + "->" + out + " weight " + k);
                }
                // The step is not negligible next to the tolerance: the test sees a wrong update.
                double moved = 0;
                for (int k = 0; k < n; k++) {
                    moved = Math.max(moved, Math.abs(expected[k] - w0[k] * Math.sqrt(out) / Math.sqrt(norm)));
                }
                assertTrue(moved > 10 * s * lr * NS_TOLERANCE, "step too small to test: " + moved);
            }
        }
    }

    /** {@code [kh, kw, in, out]} values as PyTorch's {@code [out, in * 9]} matrix, written as index arithmetic. */
    static double[][] asPyTorchMatrix(double[] hwio, int in, int out) {
        double[][] m = new double[out][in * 9];
        for (int row = 0; row < 3; row++) {
            for (int col = 0; col < 3; col++) {
                for (int i = 0; i < in; i++) {
                    for (int o = 0; o < out; o++) {
                        m[o][i * 9 + row * 3 + col] = hwio[((row * 3 + col) * in + i) * out + o];
                    }
                }
            }
        }
        return m;
    }

    /** The reference's zeropower_via_newtonschulz5, in double precision. */
    static double[][] newtonSchulz(double[][] g, int steps) {
        return newtonSchulz(g, steps, NewtonSchulz.AIRBENCH94_MUON);
    }

    /** The same with the coefficients {@code k}. */
    static double[][] newtonSchulz(double[][] g, int steps, NewtonSchulz k) {
        double norm = 0;
        for (double[] row : g) {
            for (double v : row) {
                norm += v * v;
            }
        }
        norm = Math.sqrt(norm) + Muon.NS_EPSILON;
        boolean tall = g.length > g[0].length;
        double[][] x = tall ? transpose(g) : copy(g);
        for (double[] row : x) {
            for (int j = 0; j < row.length; j++) {
                row[j] /= norm;
            }
        }
        for (int step = 0; step < steps; step++) {
            double[][] a = multiply(x, transpose(x));
            double[][] aa = multiply(a, a);
            double[][] b = new double[a.length][a.length];
            for (int i = 0; i < a.length; i++) {
                for (int j = 0; j < a.length; j++) {
                    b[i][j] = k.b() * a[i][j] + k.c() * aa[i][j];
                }
            }
            double[][] bx = multiply(b, x);
            for (int i = 0; i < x.length; i++) {
                for (int j = 0; j < x[0].length; j++) {
                    x[i][j] = k.a() * x[i][j] + bx[i][j];
                }
            }
        }
        return tall ? transpose(x) : x;
    }

    private static float[] runNewtonSchulz(double[][] g) {
        int rows = g.length;
        int cols = g[0].length;
        float[] flat = new float[rows * cols];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                flat[i * cols + j] = (float) g[i][j];
            }
        }
        try (Graph graph = new Graph(); Session session = new Session(graph)) {
            Ops tf = Ops.create(graph);
            return fetch(session, Muon.newtonSchulz(tf, tf.constant(Shape.of(rows, cols), DataBuffers.of(flat))));
        }
    }

    private static double maxAbsDifference(double[][] expected, float[] actual) {
        int cols = expected[0].length;
        double max = 0;
        for (int i = 0; i < expected.length; i++) {
            for (int j = 0; j < cols; j++) {
                max = Math.max(max, Math.abs(expected[i][j] - actual[i * cols + j]));
            }
        }
        return max;
    }

    private static double[][] multiply(double[][] a, double[][] b) {
        double[][] c = new double[a.length][b[0].length];
        for (int i = 0; i < a.length; i++) {
            for (int k = 0; k < b.length; k++) {
                for (int j = 0; j < b[0].length; j++) {
                    c[i][j] += a[i][k] * b[k][j];
                }
            }
        }
        return c;
    }

    private static double[][] transpose(double[][] a) {
        double[][] t = new double[a[0].length][a.length];
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[0].length; j++) {
                t[j][i] = a[i][j];
            }
        }
        return t;
    }

    private static double[][] copy(double[][] a) {
        double[][] c = new double[a.length][];
        for (int i = 0; i < a.length; i++) {
            c[i] = a[i].clone();
        }
        return c;
    }

    private static double[][] gaussian(int rows, int cols, Random random) {
        double[][] m = new double[rows][cols];
        for (double[] row : m) {
            for (int j = 0; j < cols; j++) {
                row[j] = (float) random.nextGaussian();  // float values: the graph gets exactly these
            }
        }
        return m;
    }

    static float[] floats(int n, Random random, double scale) {
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) (random.nextGaussian() * scale);
        }
        return values;
    }

    static float[] fetch(Session session, Operand<TFloat32> operand) {
        try (var result = session.runner().fetch(operand).run()) {
            TFloat32 t = (TFloat32) result.get(0);
            float[] out = new float[(int) t.shape().size()];
            t.copyTo(DataBuffers.of(out, false, false));
            return out;
        }
    }
}

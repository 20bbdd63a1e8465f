package airbench.model;

import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.op.linalg.MatMul;
import org.tensorflow.types.TBfloat16;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;

/**
 * The Muon update of a 3x3 filter tensor (docs/METHOD.md sections 10 and 14) as graph operations:
 * <pre>
 *   buf = mu buf + g;  u = g + mu buf                (Nesterov)
 *   W = W sqrt(out) / ||W||_F                        (renormalize before the step: 94muon at every step, the
 *                                                     hiverge record only where a fed flag says so)
 *   W = W - s lr NS(u as an out x (in*9) matrix)
 *   W = W (1 - s lr wd)                              (decoupled decay, hiverge; none in 94muon)
 * </pre>
 * NS is the quintic Newton-Schulz iteration, which maps a matrix to roughly the orthogonal factor
 * of its polar decomposition (singular values pushed into about [0.5, 1.5], on purpose not to 1),
 * with the recipe's coefficients ({@link NewtonSchulz}).
 *
 * <p><b>Layout.</b> The kernels here are HWIO, {@code [kh, kw, in, out]}; the reference's are
 * PyTorch's {@code [out, in, kh, kw]} reshaped to {@code [out, in*9]}. {@link #filterMatrix} forms that
 * matrix with PyTorch's element order (column {@code i*9 + row*3 + col}) rather than any
 * convenient reshape: the iteration commutes with a consistent column permutation in exact
 * arithmetic, but not in bfloat16, and a reshape without the transpose would mix filters.
 *
 * <p><b>bfloat16.</b> The reference casts the matrix to bfloat16 and runs the iteration there:
 * every intermediate tensor is rounded to bfloat16 while the matrix products accumulate in float32
 * (what a bfloat16 GEMM does). That is reproduced by rounding every intermediate result to bfloat16
 * ({@link #bf16}: cast down and back up) and computing in float32 between roundings. Running the ops in
 * TensorFlow's bfloat16 kernels instead would make the numerics and the speed depend on the CPU
 * (CPUs without native bfloat16 emulate it, many times slower), for a part of the step that is
 * well under 1% of its arithmetic.
 */
public final class Muon {
    /** Newton-Schulz iterations per step. */
    public static final int NEWTON_SCHULZ_STEPS = 3;
    /** 94muon's coefficients (a, b, c) of the quintic iteration X = a X + (b A + c A A) X with A = X X^T. */
    public static final double NS_A = 3.4445;
    public static final double NS_B = -4.7750;
    public static final double NS_C = 2.0315;
    /** Added to the Frobenius norm before dividing by it. */
    public static final double NS_EPSILON = 1e-7;

    private Muon() {}

    /**
     * One 94muon step of the HWIO filter {@code parameter} with gradient {@code gradient}: renormalized at every
     * step, 94muon's coefficients, no weight decay. Returns the op that assigns the new filter (it depends on the
     * buffer's assignment).
     *
     * @param lrScale the schedule's multiplier s, a float scalar
     */
    public static Op update(Ops tf, Variable<TFloat32> parameter, Variable<TFloat32> buffer, Operand<TFloat32> gradient,
                            double learningRate, double momentum, Operand<TFloat32> lrScale) {
        return update(tf, parameter, buffer, gradient, learningRate, momentum, 0, NewtonSchulz.AIRBENCH94_MUON, null,
                lrScale);
    }

    /**
     * One Muon step of the HWIO filter {@code parameter} with gradient {@code gradient}, in the order of
     * docs/METHOD.md section 14: Newton-Schulz of the Nesterov direction, renormalization of the filter as it was
     * before this step (always if {@code renormalize} is null, else where that boolean scalar is true), the step,
     * then the decoupled decay {@code W (1 - s lr wd)} (no op at all when {@code weightDecay} is 0, so that 94muon's
     * graph is the one it always was). Returns the op that assigns the new filter.
     *
     * @param weightDecay  wd of the decoupled decay, per step at s = 1 and lr 1
     * @param coefficients the Newton-Schulz iteration's (a, b, c)
     * @param renormalize  a boolean scalar fed per step, or null to renormalize at every step
     * @param lrScale      the schedule's multiplier s, a float scalar
     */
    public static Op update(Ops tf, Variable<TFloat32> parameter, Variable<TFloat32> buffer, Operand<TFloat32> gradient,
                            double learningRate, double momentum, double weightDecay, NewtonSchulz coefficients,
                            Operand<TBool> renormalize, Operand<TFloat32> lrScale) {
        Shape shape = parameter.shape();
        if (shape.numDimensions() != 4) {
            throw new IllegalArgumentException("Muon updates 4-d HWIO filters, got shape " + shape);
        }
        Operand<TFloat32> mu = tf.constant((float) momentum);
        Operand<TFloat32> newBuffer = tf.assign(buffer, tf.math.add(tf.math.mul(buffer, mu), gradient));
        Operand<TFloat32> nesterov = tf.math.add(gradient, tf.math.mul(newBuffer, mu));
        // sqrt(out) / ||W||_F, with out the number of filters (PyTorch's len(p), HWIO's last dimension)
        Operand<TFloat32> renorm = tf.math.div(tf.constant((float) Math.sqrt(shape.get(3))),
                tf.math.sqrt(tf.reduceSum(tf.math.square(parameter), tf.constant(new int[] {0, 1, 2, 3}))));
        Operand<TFloat32> orthogonal = filterFromMatrix(tf,
                newtonSchulz(tf, filterMatrix(tf, nesterov), coefficients), shape);
        Operand<TFloat32> scaledLr = tf.math.mul(lrScale, tf.constant((float) learningRate));
        Operand<TFloat32> step = tf.math.mul(orthogonal, scaledLr);
        Operand<TFloat32> start = tf.math.mul(parameter, renorm);
        if (renormalize != null) {
            // a select, not a blend: where the flag is true the value is W * renorm exactly, elsewhere W
            start = tf.select(renormalize, start, parameter);
        }
        Operand<TFloat32> updated = tf.math.sub(start, step);
        if (weightDecay != 0) {
            updated = tf.math.mul(updated, tf.math.sub(tf.constant(1f),
                    tf.math.mul(scaledLr, tf.constant((float) weightDecay))));
        }
        return tf.assign(parameter, updated);
    }

    /** {@code [kh, kw, in, out]} to PyTorch's {@code [out, in, kh, kw]} reshaped to {@code [out, in*kh*kw]}. */
    static Operand<TFloat32> filterMatrix(Ops tf, Operand<TFloat32> hwio) {
        Shape s = hwio.shape();
        Operand<TFloat32> oihw = tf.linalg.transpose(hwio, tf.constant(new int[] {3, 2, 0, 1}));
        return tf.reshape(oihw, tf.constant(new long[] {s.get(3), s.get(2) * s.get(0) * s.get(1)}));
    }

    /** Inverse of {@link #filterMatrix}: {@code [out, in*kh*kw]} back to {@code [kh, kw, in, out]} of {@code shape}. */
    static Operand<TFloat32> filterFromMatrix(Ops tf, Operand<TFloat32> matrix, Shape shape) {
        Operand<TFloat32> oihw = tf.reshape(matrix,
                tf.constant(new long[] {shape.get(3), shape.get(2), shape.get(0), shape.get(1)}));
        return tf.linalg.transpose(oihw, tf.constant(new int[] {2, 3, 1, 0}));
    }

    /**
     * Quintic Newton-Schulz of a 2-d matrix of static shape with 94muon's coefficients, in bfloat16 (see the class
     * comment):
     * {@code X = G / (||G||_F + 1e-7)}; transposed if it has more rows than columns (so that
     * {@code X X^T} is the smaller Gram matrix); three times {@code A = X X^T; B = b A + c A A;
     * X = a X + B X}; transposed back. The result holds bfloat16 values (in a float32 tensor).
     */
    static Operand<TFloat32> newtonSchulz(Ops tf, Operand<TFloat32> g) {
        return newtonSchulz(tf, g, NewtonSchulz.AIRBENCH94_MUON);
    }

    /** The same with the coefficients {@code k}. */
    static Operand<TFloat32> newtonSchulz(Ops tf, Operand<TFloat32> g, NewtonSchulz k) {
        Shape shape = g.shape();
        if (shape.numDimensions() != 2 || shape.hasUnknownDimension()) {
            throw new IllegalArgumentException("Newton-Schulz needs a matrix of known shape, got " + shape);
        }
        boolean tall = shape.get(0) > shape.get(1);
        Operand<TFloat32> x = bf16(tf, g);
        // PyTorch: X.norm() of the bfloat16 X is a bfloat16 scalar, and so is norm + eps
        Operand<TFloat32> norm = bf16(tf, tf.math.add(
                bf16(tf, tf.math.sqrt(tf.reduceSum(tf.math.square(x), tf.constant(new int[] {0, 1})))),
                tf.constant((float) NS_EPSILON)));
        x = bf16(tf, tf.math.div(x, norm));
        if (tall) {
            x = tf.linalg.transpose(x, tf.constant(new int[] {1, 0}));
        }
        Operand<TFloat32> a = tf.constant((float) k.a());
        Operand<TFloat32> b = tf.constant((float) k.b());
        Operand<TFloat32> c = tf.constant((float) k.c());
        for (int i = 0; i < NEWTON_SCHULZ_STEPS; i++) {
            Operand<TFloat32> gram = bf16(tf, tf.linalg.matMul(x, x, MatMul.transposeB(true)));
            Operand<TFloat32> gramSquared = bf16(tf, tf.linalg.matMul(gram, gram));
            Operand<TFloat32> poly = bf16(tf, tf.math.add(bf16(tf, tf.math.mul(gram, b)),
                    bf16(tf, tf.math.mul(gramSquared, c))));
            x = bf16(tf, tf.math.add(bf16(tf, tf.math.mul(x, a)), bf16(tf, tf.linalg.matMul(poly, x))));
        }
        if (tall) {
            x = tf.linalg.transpose(x, tf.constant(new int[] {1, 0}));
        }
        return x;
    }

    /** {@code x} rounded to the nearest bfloat16 (ties to even), kept in a float32 tensor. */
    static Operand<TFloat32> bf16(Ops tf, Operand<TFloat32> x) {
        return tf.dtypes.cast(tf.dtypes.cast(x, TBfloat16.class), TFloat32.class);
    }
}

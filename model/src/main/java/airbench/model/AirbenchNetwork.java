package airbench.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.nn.FusedBatchNorm;
import org.tensorflow.types.TBfloat16;
import org.tensorflow.types.TFloat32;

/**
 * The airbench network (docs/METHOD.md section 3) as TensorFlow graph operations.
 * The variables are created once; {@link #forward} can then be applied to
 * several inputs (a training batch with batch statistics, an evaluation batch
 * with running statistics) sharing them. This class knows nothing about
 * losses or optimizers.
 */
public final class AirbenchNetwork {

    /** Sub-scope (under the network's) of the ops that move the BatchNorm running statistics. */
    static final String RUNNING_STATS_SCOPE = "running_stats";
    /** Sub-scope of the whitening layer's operations; the blocks' are "block1", "block2", ... */
    public static final String WHITEN_SCOPE = "whiten";
    /** Sub-scope of the last pooling and the linear head. */
    public static final String HEAD_SCOPE = "head";

    /** Training uses batch statistics and updates the running ones; inference uses the running ones. */
    public enum Mode { TRAINING, INFERENCE }

    /** A BatchNorm layer: learnable shift (no scale), running mean and variance. */
    record Norm(StateVariable shift, StateVariable mean, StateVariable variance) {}

    /** One conv block: its convs and, for each, the BatchNorm that follows it. */
    record Block(List<StateVariable> convs, List<Norm> norms) {}

    /** Logits plus, in training mode, the assignments that move the running statistics. */
    public record Forward(Operand<TFloat32> logits, List<Op> runningStatUpdates) {}

    /**
     * The network's scope ("net"). Each layer's operations go under a sub-scope of their own ({@link #layerScopes}:
     * "net/block2/Conv2d"), so that a profile of a step can say which layer a node belongs to.
     */
    private final Ops root;
    /** Scope {@value #RUNNING_STATS_SCOPE} of the running-statistics updates (kept out of XLA clusters). */
    private final Ops statsScope;
    /** How the forward pass reads a parameter: see {@link #read}. */
    private final BiFunction<Ops, StateVariable, Operand<TFloat32>> reader;
    private final NetworkSpec spec;
    private final Precision precision;
    private final StateVariable whitenKernel;
    private final StateVariable whitenBias;
    private final List<Block> blocks = new ArrayList<>();
    private final StateVariable head;

    AirbenchNetwork(Ops tf, StateVariable.Factory variables, NetworkSpec spec, Precision precision) {
        this(tf, variables, spec, precision, null);
    }

    /**
     * @param reader where {@link #forward} takes parameter values from instead of the graph
     *               variables (the eager forward pass reads constants); null for the variables
     */
    AirbenchNetwork(Ops tf, StateVariable.Factory variables, NetworkSpec spec, Precision precision,
                    Function<StateVariable, Operand<TFloat32>> reader) {
        this.root = tf;
        this.statsScope = tf.withSubScope(RUNNING_STATS_SCOPE);
        this.reader = reader != null ? (scope, v) -> reader.apply(v) : (scope, v) -> scope.identity(v.variable());
        this.spec = spec;
        this.precision = precision;
        int k = NetworkSpec.WHITEN_KERNEL;
        whitenKernel = variables.create("whiten/kernel",
                Shape.of(k, k, NetworkSpec.CHANNELS, NetworkSpec.WHITEN_WIDTH));
        whitenBias = variables.create("whiten/bias", Shape.of(NetworkSpec.WHITEN_WIDTH));
        int in = NetworkSpec.WHITEN_WIDTH;
        for (int b = 0; b < spec.widths().size(); b++) {
            int width = spec.widths().get(b);
            List<StateVariable> convs = new ArrayList<>();
            List<Norm> norms = new ArrayList<>();
            for (int c = 0; c < spec.convsPerBlock(); c++) {
                String prefix = blockScope(b) + "/";
                convs.add(variables.create(prefix + "conv" + (c + 1) + "/kernel",
                        Shape.of(3, 3, c == 0 ? in : width, width)));
                String norm = prefix + "norm" + (c + 1) + "/";
                norms.add(new Norm(variables.create(norm + "shift", Shape.of(width)),
                        variables.create(norm + "mean", Shape.of(width)),
                        variables.create(norm + "variance", Shape.of(width))));
            }
            blocks.add(new Block(convs, norms));
            in = width;
        }
        head = variables.create("head/kernel", Shape.of(in, spec.numClasses()));
    }

    /**
     * The network, top to bottom, each layer under its own scope. {@code images} are normalized NHWC float32
     * [N, 32, 32, 3]; the result is [N, classes].
     */
    public Forward forward(Operand<TFloat32> images, Mode mode) {
        List<Op> statUpdates = new ArrayList<>();
        Operand<TFloat32> x = images;                                     // [N, 32, 32, 3]
        Ops whiten = root.withSubScope(WHITEN_SCOPE);
        x = whiten.nn.biasAdd(conv(whiten, x, whitenKernel, "VALID"), read(whiten, whitenBias));  // [N, 31, 31, 24]
        x = gelu(whiten, x);                                               // GELU here in every recipe
        for (int b = 0; b < blocks.size(); b++) {
            x = block(root.withSubScope(blockScope(b)), x, blocks.get(b), mode, statUpdates);  // 31 -> 15 -> 7 -> 3
        }
        Ops tf = root.withSubScope(HEAD_SCOPE);
        x = maxPool(tf, x, 3);                                             // [N, 1, 1, w3]
        x = tf.reshape(x, tf.constant(new int[] {-1, spec.widths().get(2)}));
        Operand<TFloat32> logits = tf.math.mul(tf.linalg.matMul(x, read(tf, head)),
                tf.constant(spec.head().factor(spec.widths().get(2))));     // [N, classes]
        return new Forward(logits, List.copyOf(statUpdates));
    }

    /** The scope of block {@code index} (from 0): "block1", "block2", ... as the block's variables are named. */
    public static String blockScope(int index) {
        return "block" + (index + 1);
    }

    /** The layer scopes of a network of {@code blocks} blocks, in network order: whiten, block1, ..., head. */
    public static List<String> layerScopes(int blocks) {
        List<String> scopes = new ArrayList<>(List.of(WHITEN_SCOPE));
        for (int b = 0; b < blocks; b++) {
            scopes.add(blockScope(b));
        }
        scopes.add(HEAD_SCOPE);
        return List.copyOf(scopes);
    }

    private Operand<TFloat32> block(Ops tf, Operand<TFloat32> x, Block block, Mode mode, List<Op> statUpdates) {
        x = conv(tf, x, block.convs().get(0), "SAME");
        x = maxPool(tf, x, 2);
        x = batchNorm(tf, x, block.norms().get(0), mode, statUpdates);
        x = activation(tf, x);
        Operand<TFloat32> blockInput = x;
        x = conv(tf, x, block.convs().get(1), "SAME");
        x = batchNorm(tf, x, block.norms().get(1), mode, statUpdates);
        if (spec.convsPerBlock() == 2) {
            return activation(tf, x);
        }
        x = activation(tf, x);
        x = conv(tf, x, block.convs().get(2), "SAME");
        x = batchNorm(tf, x, block.norms().get(2), mode, statUpdates);
        if (spec.residual()) {
            x = tf.math.add(x, blockInput);
        }
        return activation(tf, x);
    }

    /**
     * Stride-1 convolution without bias; in BF16 mode the inputs are cast down and the result back up.
     *
     * <p>A bfloat16 convolution with an odd number of input channels gets one zero channel appended to its
     * input and its kernel, which leaves every sum unchanged. oneDNN 3's bfloat16 kernels pair input channels,
     * and on an AMD EPYC of family 26 (Zen 5) they compute wrong values for an odd count: the whitening conv's
     * 3 channels came out up to 2.6x off and recipe 94 diverged at step 2 (docs/RESULTS.md, "bfloat16 on
     * Zen 5"). Even counts (every block conv of every recipe) were within bfloat16's rounding there.
     */
    private Operand<TFloat32> conv(Ops tf, Operand<TFloat32> x, StateVariable kernel, String padding) {
        List<Long> strides = Arrays.asList(1L, 1L, 1L, 1L);
        if (precision == Precision.BF16) {
            Operand<TFloat32> input = x;
            Operand<TFloat32> filters = read(tf, kernel);
            if (kernel.shape().size(2) % 2 == 1) {
                input = appendZeroChannel(tf, input, new int[][] {{0, 0}, {0, 0}, {0, 0}, {0, 1}});
                filters = appendZeroChannel(tf, filters, new int[][] {{0, 0}, {0, 0}, {0, 1}, {0, 0}});
            }
            Operand<TBfloat16> y = tf.nn.conv2d(tf.dtypes.cast(input, TBfloat16.class),
                    tf.dtypes.cast(filters, TBfloat16.class), strides, padding);
            return tf.dtypes.cast(y, TFloat32.class);
        }
        return tf.nn.conv2d(x, read(tf, kernel), strides, padding);
    }

    private static Operand<TFloat32> appendZeroChannel(Ops tf, Operand<TFloat32> x, int[][] paddings) {
        return tf.pad(x, tf.constant(paddings), tf.constant(0f));
    }

    /**
     * A parameter's value as the forward pass sees it. In a graph this is an {@code Identity} of
     * the variable, one per use: its output is a plain float tensor rather than the variable's
     * reference, so the consuming operation can join an XLA cluster (reference-typed edges
     * cannot). The values are the same as reading the variable directly: every read belongs to the
     * forward or backward pass, and the training step's updates wait for all gradients.
     */
    private Operand<TFloat32> read(Ops tf, StateVariable v) {
        return reader.apply(tf, v);
    }

    /** Max-pooling with a size x size window and stride, VALID (floor) as in PyTorch. */
    private static Operand<TFloat32> maxPool(Ops tf, Operand<TFloat32> x, int size) {
        Operand<org.tensorflow.types.TInt32> window = tf.constant(new int[] {1, size, size, 1});
        return tf.nn.maxPool(x, window, window, "VALID");
    }

    /** The blocks' activation: GELU, or SiLU x sigmoid(x) (the network spec's {@code blockActivation}). */
    private Operand<TFloat32> activation(Ops tf, Operand<TFloat32> x) {
        return switch (spec.blockActivation()) {
            case GELU -> gelu(tf, x);
            case SILU -> tf.math.mul(x, tf.math.sigmoid(x));
        };
    }

    /** Exact GELU, 0.5 x (1 + erf(x / sqrt 2)); TensorFlow has no Gelu op. */
    private static Operand<TFloat32> gelu(Ops tf, Operand<TFloat32> x) {
        Operand<TFloat32> erf = tf.math.erf(tf.math.mul(x, tf.constant((float) (1 / Math.sqrt(2)))));
        return tf.math.mul(tf.math.mul(x, tf.constant(0.5f)), tf.math.add(erf, tf.constant(1f)));
    }

    /**
     * BatchNorm without scale (fixed at 1), with a learnable shift and the spec's epsilon, in float32.
     * In training the running statistics move as {@code m * running + (1 - m) * batch}
     * (FusedBatchNormV3 reports the unbiased batch variance, as PyTorch uses).
     *
     * <p>Inference is {@code (x - mean) * rsqrt(variance + eps) + shift} as element-wise operations, which XLA
     * fuses with the GELU after them. oneDNN's inference {@code FusedBatchNormV3} took a third of an evaluation
     * pass on the 2-core AMD EPYC (1.6 s of 5.0 for 2,000 images, where the training step's six BatchNorms of
     * 1,024 images took 45 ms; docs/RESULTS.md, "Speed and bench").
     */
    private Operand<TFloat32> batchNorm(Ops tf, Operand<TFloat32> x, Norm norm, Mode mode, List<Op> statUpdates) {
        if (mode == Mode.INFERENCE) {
            return normalizeForInference(tf, x, read(tf, norm.mean()), read(tf, norm.variance()), read(tf, norm.shift()),
                    (float) spec.batchNormEpsilon());
        }
        int channels = norm.shift().size();
        Operand<TFloat32> scale = tf.constant(filled(channels, 1f));
        FusedBatchNorm.Options eps = FusedBatchNorm.epsilon((float) spec.batchNormEpsilon());
        Operand<TFloat32> empty = tf.constant(new float[0]);
        FusedBatchNorm<TFloat32, TFloat32> bn = tf.nn.fusedBatchNorm(x, scale, read(tf, norm.shift()),
                empty, empty, eps, FusedBatchNorm.isTraining(true));
        float m = (float) spec.batchNormMemory();
        statUpdates.add(statsScope.assign(norm.mean().variable(), blend(norm.mean().variable(), bn.batchMean(), m)));
        statUpdates.add(statsScope.assign(norm.variance().variable(), blend(norm.variance().variable(), bn.batchVariance(), m)));
        return bn.y();
    }

    /** Inference BatchNorm over the last (channel) axis: {@code (x - mean) * rsqrt(variance + eps) + shift}. */
    static Operand<TFloat32> normalizeForInference(Ops tf, Operand<TFloat32> x, Operand<TFloat32> mean,
            Operand<TFloat32> variance, Operand<TFloat32> shift, float epsilon) {
        Operand<TFloat32> inverseStd = tf.math.rsqrt(tf.math.add(variance, tf.constant(epsilon)));
        return tf.math.add(tf.math.mul(tf.math.sub(x, mean), inverseStd), shift);
    }

    private Operand<TFloat32> blend(Operand<TFloat32> running, Operand<TFloat32> batch, float memory) {
        return statsScope.math.add(statsScope.math.mul(running, statsScope.constant(memory)),
                statsScope.math.mul(batch, statsScope.constant(1 - memory)));
    }

    private static float[] filled(int n, float value) {
        float[] values = new float[n];
        Arrays.fill(values, value);
        return values;
    }

    public NetworkSpec spec() {
        return spec;
    }

    /** The frozen whitening filters (set from the data, never trained). */
    public StateVariable whitenKernel() {
        return whitenKernel;
    }

    /** The whitening bias: trained for the first epochs only, in the weights' learning-rate group. */
    public StateVariable whitenBias() {
        return whitenBias;
    }

    /** Block conv kernels in order, then the head: the weights group. */
    public List<StateVariable> weights() {
        List<StateVariable> weights = new ArrayList<>();
        blocks.forEach(b -> weights.addAll(b.convs()));
        weights.add(head);
        return weights;
    }

    /** BatchNorm shifts: the bias group, trained with the scaled learning rate. */
    public List<StateVariable> normShifts() {
        return blocks.stream().flatMap(b -> b.norms().stream()).map(Norm::shift).toList();
    }

    /** BatchNorm running means and variances, in layer order (mean, variance, mean, ...). */
    public List<StateVariable> runningStats() {
        return blocks.stream().flatMap(b -> b.norms().stream())
                .flatMap(n -> java.util.stream.Stream.of(n.mean(), n.variance())).toList();
    }

    /** Every variable of the network: what an exported or evaluated model consists of. */
    public List<StateVariable> variables() {
        List<StateVariable> all = new ArrayList<>();
        all.add(whitenKernel);
        all.add(whitenBias);
        all.addAll(weights());
        all.addAll(normShifts());
        all.addAll(runningStats());
        return all;
    }

    /** Kernel shapes needed to build initial values: (kh, kw, in, out) of every block conv, then the head's (in, out). */
    List<StateVariable> blockConvs() {
        return blocks.stream().flatMap(b -> b.convs().stream()).toList();
    }

    /** The first conv of every block, the one that widens its input. */
    List<StateVariable> firstBlockConvs() {
        return blocks.stream().map(b -> b.convs().get(0)).toList();
    }

    StateVariable head() {
        return head;
    }
}

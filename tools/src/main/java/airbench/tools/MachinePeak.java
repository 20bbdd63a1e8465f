package airbench.tools;

import airbench.model.Precision;
import airbench.model.TensorFlowRuntime;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.op.random.RandomUniform;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.proto.DeviceStepStats;
import org.tensorflow.proto.NodeExecStats;
import org.tensorflow.proto.RunOptions;
import org.tensorflow.types.TBfloat16;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.family.TNumber;

/**
 * What this machine's CPU computes at best through TensorFlow, measured: an {@code n x n} by {@code n x n} matrix
 * product in float32 or bfloat16, the densest arithmetic TensorFlow runs (oneDNN's GEMM where oneDNN is on), with
 * the threads of the training step. A step profile sets its convolutions against this figure, measured in the same
 * process on the same machine state, rather than against a datasheet's: the 2-core cloud hosts this project runs on
 * differ by 1.6x in what the same CPU class reaches (issue 33).
 *
 * <p>The operands are variables set once, so that each timed run is the product alone; the run fetches nothing
 * (the product is its target), so no copy of the result is timed. {@code 2 n^3} floating-point operations per
 * product.
 *
 * @param precision      of the operands (float32 accumulates in float32, bfloat16 as oneDNN does, in float32)
 * @param size           n
 * @param opType         the kernel TensorFlow ran, from a trace ({@code _MklMatMul} when oneDNN did it)
 * @param bestMillis     the fastest timed product
 * @param medianMillis   the median one
 */
public record MachinePeak(Precision precision, int size, String opType, double bestMillis, double medianMillis) {
    private static final Logger LOG = LogManager.getLogger(MachinePeak.class);

    /** The size the issue names: big enough that the product is arithmetic-bound, small enough for a second. */
    public static final int DEFAULT_SIZE = 2048;

    /** Floating-point operations of one product. */
    public double flops() {
        return 2.0 * size * size * size;
    }

    /** The peak: the rate of the fastest product, in GFLOP/s (the rate the machine reached at least once). */
    public double gflops() {
        return flops() / (bestMillis * 1e6);
    }

    /** The rate of the median product, in GFLOP/s. */
    public double medianGflops() {
        return flops() / (medianMillis * 1e6);
    }

    public String describe() {
        return String.format(Locale.ROOT, "%s %d^3 matrix product (%s): %.0f GFLOP/s best, %.0f median (%.1f ms best)",
                precision.name().toLowerCase(Locale.ROOT), size, opType, gflops(), medianGflops(), bestMillis);
    }

    /**
     * Times {@code repetitions} products after one untimed and one traced one.
     *
     * @param threads intra-op threads (inter-op 1, as the training step's session)
     */
    public static MachinePeak measure(Precision precision, int size, int threads, int repetitions) {
        if (size < 1 || repetitions < 1 || threads < 1) {
            throw new IllegalArgumentException("size, threads and repetitions must be at least 1, got " + size + ", "
                    + threads + ", " + repetitions);
        }
        TensorFlowRuntime.ensureConfigured();
        try (Graph graph = new Graph()) {
            Ops tf = Ops.create(graph);
            List<Op> setters = new ArrayList<>();
            String product = precision == Precision.BF16 ? product(tf, TBfloat16.class, size, setters)
                    : product(tf, TFloat32.class, size, setters);
            ConfigProto config = ConfigProto.newBuilder().setIntraOpParallelismThreads(threads)
                    .setInterOpParallelismThreads(1).build();
            try (Session session = new Session(graph, config)) {
                Session.Runner init = session.runner();
                setters.forEach(init::addTarget);
                init.run().close();
                session.runner().addTarget(product).run().close();
                String opType = tracedOpType(session, product);
                double[] millis = new double[repetitions];
                for (int r = 0; r < repetitions; r++) {
                    long start = System.nanoTime();
                    session.runner().addTarget(product).run().close();
                    millis[r] = (System.nanoTime() - start) / 1e6;
                }
                TimingStats stats = TimingStats.of(millis);
                MachinePeak peak = new MachinePeak(precision, size, opType, stats.min(), stats.median());
                LOG.info("machine peak: {}", peak.describe());
                return peak;
            }
        }
    }

    /** The product of two {@code n x n} variables of {@code type}; adds the ops that set them to {@code setters}. */
    private static <T extends TNumber> String product(Ops tf, Class<T> type, int n, List<Op> setters) {
        Operand<T> a = operand(tf, "a", type, n, 1, setters);
        Operand<T> b = operand(tf, "b", type, n, 2, setters);
        return tf.withName("product").linalg.matMul(a, b).op().name();
    }

    /** A variable {@code name} to hold {@code n x n} uniform values in [-1, 1), and the op that sets it. */
    private static <T extends TNumber> Operand<T> operand(Ops tf, String name, Class<T> type, int n, long seed,
                                                          List<Op> setters) {
        Operand<TFloat32> uniform = tf.math.sub(tf.math.mul(tf.random.randomUniform(tf.constant(new long[] {n, n}),
                TFloat32.class, RandomUniform.seed(seed)), tf.constant(2f)), tf.constant(1f));
        Variable<T> variable = tf.withName(name).variable(Shape.of(n, n), type);
        setters.add(tf.assign(variable, tf.dtypes.cast(uniform, type)));
        return variable;
    }

    /** The executed op type of node {@code name}, from the timeline label of a traced run. */
    private static String tracedOpType(Session session, String name) {
        RunOptions trace = RunOptions.newBuilder().setTraceLevel(RunOptions.TraceLevel.FULL_TRACE).build();
        try (Result result = session.runner().addTarget(name).setOptions(trace).runAndFetchMetadata()) {
            for (DeviceStepStats device : result.getMetadata().orElseThrow().getStepStats().getDevStatsList()) {
                for (NodeExecStats node : device.getNodeStatsList()) {
                    if (node.getNodeName().equals(name)) {
                        return StepTrace.opTypeOfLabel(node.getTimelineLabel());
                    }
                }
            }
        }
        return "?";
    }
}

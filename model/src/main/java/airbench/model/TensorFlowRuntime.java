package airbench.model;

import com.sun.jna.Library;
import com.sun.jna.Native;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.RunMetadata;
import org.tensorflow.proto.RunOptions;
import org.tensorflow.types.TFloat32;

/**
 * The process-wide TensorFlow set-up that must happen before TensorFlow's native library loads:
 * oneDNN on or off.
 *
 * <p>Why: TensorFlow 2.18 turns its oneDNN kernels on by default only on CPUs with AVX512_VNNI,
 * AVX512_BF16 or AMX. On the project's AVX2-only machine the plain Eigen kernels ran and the training
 * step was 1.5x slower than with oneDNN (TF-JAVA-NOTES.md). TensorFlow reads
 * {@code TF_ENABLE_ONEDNN_OPTS} from the process environment once, when the library initializes, and
 * the JVM cannot change its own environment, so this class calls the C library's {@code setenv}
 * (through JNA) before the first TensorFlow call. Every entry point calls {@link #configure} or
 * {@link #ensureConfigured} first. A call after TensorFlow has loaded cannot change what it read;
 * {@link #status} then finds the requested and the running kernels differ and says so in the log.
 *
 * <p>{@link #status} then reports which convolution kernel TensorFlow actually runs, read from the
 * executed graph of a tiny convolution (oneDNN's are {@code _Mkl...} operations), so a log or result
 * file never claims oneDNN on the word of an environment variable alone.
 */
public final class TensorFlowRuntime {
    private static final Logger LOG = LogManager.getLogger(TensorFlowRuntime.class);

    /** TensorFlow's switch, read once when its native library initializes. */
    public static final String ONEDNN_VARIABLE = "TF_ENABLE_ONEDNN_OPTS";

    /** What was configured and what TensorFlow then ran. */
    public record Status(boolean oneDnnRequested, String convolutionKernel, boolean oneDnnActive, CpuFeatures cpu) {

        /** For result files: oneDNN requested and active, the kernel seen, the CPU and its deciding flags. */
        public Map<String, Object> toMap() {
            Map<String, Object> map = new LinkedHashMap<>();
            map.put("onednn_requested", oneDnnRequested);
            map.put("onednn_active", oneDnnActive);
            map.put("convolution_kernel", convolutionKernel);
            map.put("cpu", cpu.toMap());
            return map;
        }

        public String describe() {
            return "oneDNN " + (oneDnnActive ? "on" : "off") + " (requested " + (oneDnnRequested ? "on" : "off")
                    + ", convolutions run as " + convolutionKernel + "); CPU " + cpu.describe();
        }
    }

    /** The C library's environment functions. */
    private interface CLibrary extends Library {
        int setenv(String name, String value, int overwrite);

        String getenv(String name);
    }

    private static Boolean requested;
    private static Status status;

    private TensorFlowRuntime() {}

    /**
     * Sets oneDNN on or off for this process. Call before anything touches TensorFlow; the first call
     * decides, later calls with another value only log a warning (TensorFlow has read the switch).
     */
    public static synchronized void configure(boolean oneDnn) {
        if (requested != null) {
            if (requested != oneDnn) {
                LOG.warn("oneDNN was already set {} for this process; --onednn {} cannot take effect now "
                        + "(TensorFlow reads it once, when it loads)", requested ? "on" : "off", oneDnn ? "on" : "off");
            }
            return;
        }
        requested = oneDnn;
        try {
            setEnvironment(ONEDNN_VARIABLE, oneDnn ? "1" : "0");
        } catch (LinkageError | IllegalStateException e) {
            // No C library setenv here (not Linux or macOS): TensorFlow's own default applies, and
            // status() reports which kernels actually run.
            LOG.warn("could not set {} in this process ({}); start the program with {}={} in the environment",
                    ONEDNN_VARIABLE, e.getMessage(), ONEDNN_VARIABLE, oneDnn ? "1" : "0");
        }
    }

    /** {@link #configure configure(true)} unless the process already chose. */
    public static synchronized void ensureConfigured() {
        if (requested == null) {
            configure(true);
        }
    }

    /** What runs: configures if needed, then probes the convolution kernel once per process. */
    public static synchronized Status status() {
        ensureConfigured();
        if (status == null) {
            String kernel = convolutionKernel();
            status = new Status(requested, kernel, kernel.startsWith("_Mkl"), CpuFeatures.detect());
            LOG.info("TensorFlow {}: {}", org.tensorflow.TensorFlow.version(), status.describe());
            if (status.oneDnnActive() != requested) {
                LOG.warn("oneDNN was requested {} but TensorFlow runs it {}: TensorFlow was loaded before this "
                        + "process could set {} (a program that uses TensorFlow before the trainer does should "
                        + "call TensorFlowRuntime.configure first)", requested ? "on" : "off",
                        status.oneDnnActive() ? "on" : "off", ONEDNN_VARIABLE);
            }
        }
        return status;
    }

    /**
     * The value of an {@code --onednn} option: on/true or off/false, any case.
     *
     * @throws IllegalArgumentException naming the bad value and the valid ones
     */
    public static boolean parseOneDnn(String value) {
        return switch (value.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "on", "true" -> true;
            case "off", "false" -> false;
            default -> throw new IllegalArgumentException("bad value '" + value + "' for --onednn; valid values: on, off");
        };
    }

    /** Sets a variable of this process's environment as the C library sees it (and so TensorFlow). */
    static void setEnvironment(String name, String value) {
        if (clib().setenv(name, value, 1) != 0) {
            throw new IllegalStateException("setenv(" + name + ") failed; start the program with "
                    + name + "=" + value + " in the environment instead");
        }
    }

    /** A variable of this process's environment as the C library sees it (the JVM's copy is a snapshot). */
    static String environment(String name) {
        return clib().getenv(name);
    }

    private static CLibrary clib() {
        return Native.load("c", CLibrary.class);
    }

    /**
     * The operation type TensorFlow executes for a 3x3 float convolution, from the partition graphs of
     * one run: {@code _MklNativeConv2D} (or another {@code _Mkl} name) with oneDNN, {@code Conv2D} without.
     */
    static String convolutionKernel() {
        // Fed, not constant: Grappler would fold a convolution of constants away.
        try (Graph graph = new Graph(); Session session = new Session(graph);
             TFloat32 input = TFloat32.tensorOf(Shape.of(1, 8, 8, 8));
             TFloat32 filter = TFloat32.tensorOf(Shape.of(3, 3, 8, 8))) {
            Ops tf = Ops.create(graph);
            Placeholder<TFloat32> x = tf.withName("probe_input").placeholder(TFloat32.class);
            Placeholder<TFloat32> w = tf.withName("probe_filter").placeholder(TFloat32.class);
            Operand<TFloat32> y = tf.withName("probe_conv").nn.conv2d(x, w, List.of(1L, 1L, 1L, 1L), "SAME");
            try (Result result = session.runner().feed(x, input).feed(w, filter).fetch(y)
                    .setOptions(RunOptions.newBuilder().setOutputPartitionGraphs(true).build())
                    .runAndFetchMetadata()) {
                RunMetadata metadata = result.getMetadata().orElseThrow();
                Set<String> types = new TreeSet<>();
                for (GraphDef partition : metadata.getPartitionGraphsList()) {
                    for (NodeDef node : partition.getNodeList()) {
                        if (node.getName().startsWith("probe_conv")) {
                            types.add(node.getOp());
                        }
                    }
                }
                return types.stream().filter(t -> t.contains("Conv2D")).findFirst()
                        .orElse(types.isEmpty() ? "unknown" : String.join("+", types));
            }
        }
    }
}

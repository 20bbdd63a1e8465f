package airbench.model;

import java.util.HashMap;
import java.util.Map;
import org.tensorflow.EagerSession;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.types.TFloat32;

/**
 * The inference forward pass of {@link AirbenchNetwork} executed eagerly: each operation runs as it
 * is created, in an {@link EagerSession}, with no graph and no graph optimizer. It exists to measure
 * eager execution against the graph; TensorFlow Java's eager mode cannot compute gradients ("Gradients
 * can be computed only in a graph execution environment"), so there is no eager training step.
 *
 * <p>The network code is the graph's: {@code AirbenchNetwork} is built with its operations on the
 * eager session and its parameters read from constants instead of variables (graph variables do not
 * exist in eager mode; the variable declarations go to an unused graph, only for their names and
 * shapes).
 */
public final class EagerForward {
    private final NetworkSpec spec;
    private final Precision precision;
    private final Map<String, float[]> networkState;
    private final ConfigProto config;

    /**
     * @param networkState the network's variables by name, as {@link AirbenchModel#networkState()} returns them
     * @param threads      intra-op threads (inter-op 1, as the graph model), 0 for TensorFlow's default
     */
    public EagerForward(NetworkSpec spec, Precision precision, Map<String, float[]> networkState, int threads) {
        TensorFlowRuntime.ensureConfigured();
        this.spec = spec;
        this.precision = precision;
        this.networkState = Map.copyOf(networkState);
        ConfigProto.Builder builder = ConfigProto.newBuilder();
        if (threads > 0) {
            builder.setIntraOpParallelismThreads(threads).setInterOpParallelismThreads(1);
        }
        this.config = builder.build();
    }

    /**
     * Inference-mode logits [count, classes] of {@code count} normalized NHWC images. Each call runs
     * in its own eager session, closed at the end, so that the intermediate tensors of the call are
     * freed with it; the parameters become constants first (about 8 MB for airbench94, a copy that
     * takes milliseconds against seconds for the pass).
     */
    public float[] logits(float[] images, int count) {
        Shape shape = Shape.of(count, NetworkSpec.IMAGE_SIZE, NetworkSpec.IMAGE_SIZE, NetworkSpec.CHANNELS);
        if (images.length < shape.size()) {
            throw new IllegalArgumentException("image array holds " + images.length + " values, fewer than "
                    + count + " images of 32x32x3");
        }
        try (Graph declarations = new Graph();
             EagerSession eager = EagerSession.options().config(config).build()) {
            Ops tf = Ops.create(eager);
            Map<String, Operand<TFloat32>> constants = new HashMap<>();
            AirbenchNetwork network = new AirbenchNetwork(tf, new StateVariable.Factory(Ops.create(declarations)),
                    spec, precision, v -> constants.get(v.name()));
            for (StateVariable v : network.variables()) {
                float[] value = networkState.get(v.name());
                if (value == null || value.length != v.size()) {
                    throw new IllegalArgumentException("network state lacks '" + v.name() + "' of shape " + v.shape());
                }
                constants.put(v.name(), tf.constant(v.shape(), DataBuffers.of(value, true, false)));
            }
            Operand<TFloat32> x = tf.constant(shape, DataBuffers.of(images, true, false).narrow(shape.size()));
            Operand<TFloat32> logits = network.forward(x, AirbenchNetwork.Mode.INFERENCE).logits();
            float[] out = new float[count * spec.numClasses()];
            logits.asTensor().copyTo(DataBuffers.of(out, false, false));
            return out;
        }
    }
}

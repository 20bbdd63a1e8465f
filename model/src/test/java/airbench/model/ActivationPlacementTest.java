package airbench.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;

/**
 * Where the activations sit (docs/METHOD.md sections 3 and 14): GELU (its Erf) right after the whitening conv's bias
 * in every network; after each of the six BatchNorms of the blocks GELU, or SiLU (a Sigmoid multiplied by its input)
 * with {@link Activation#SILU}.
 */
class ActivationPlacementTest {
    private static final NetworkSpec NARROW = new NetworkSpec(List.of(8, 16, 16), 2, false, 0.6, 10);

    /**
     * For each op of {@code type} in the training forward pass (where each BatchNorm is one FusedBatchNormV3 op),
     * the type of the op that feeds it.
     */
    private static Map<String, Integer> producers(NetworkSpec spec, String type) {
        return producers(spec, type, AirbenchNetwork.Mode.TRAINING);
    }

    private static Map<String, Integer> producers(NetworkSpec spec, String type, AirbenchNetwork.Mode mode) {
        try (Graph graph = new Graph()) {
            Ops tf = Ops.create(graph);
            AirbenchNetwork network = new AirbenchNetwork(tf.withSubScope("net"), new StateVariable.Factory(tf), spec,
                    Precision.FP32);
            Placeholder<TFloat32> images = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, 32, 32, 3)));
            network.forward(images, mode);
            Map<String, Integer> counts = new TreeMap<>();
            List<GraphOperation> ops = new ArrayList<>();
            graph.operations().forEachRemaining(op -> ops.add((GraphOperation) op));
            for (GraphOperation op : ops) {
                if (op.type().equals(type)) {
                    GraphOperation source = (GraphOperation) op.input(0).op();
                    // GELU's Erf takes x / sqrt 2: look one op further up for what the activation applies to
                    if (type.equals("Erf")) {
                        source = (GraphOperation) source.input(0).op();
                    }
                    counts.merge(source.type(), 1, Integer::sum);
                }
            }
            return counts;
        }
    }

    @Test
    void geluFollowsTheWhiteningAndEveryBatchNorm() {
        assertEquals(Map.of("BiasAdd", 1, "FusedBatchNormV3", 6), producers(NARROW, "Erf"));
        assertEquals(Map.of(), producers(NARROW, "Sigmoid"));
    }

    /** Inference normalizes with element-wise ops ending in the shift's Add: GELU follows each of the six. */
    @Test
    void inInferenceGeluFollowsEachNormalizingShift() {
        assertEquals(Map.of("BiasAdd", 1, "Add", 6), producers(NARROW, "Erf", AirbenchNetwork.Mode.INFERENCE));
    }

    @Test
    void siluReplacesGeluInTheBlocksOnly() {
        NetworkSpec silu = NARROW.withBlockActivation(Activation.SILU);
        assertEquals(Map.of("BiasAdd", 1), producers(silu, "Erf"));
        assertEquals(Map.of("FusedBatchNormV3", 6), producers(silu, "Sigmoid"));
    }
}

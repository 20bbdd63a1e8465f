package airbench.model;

import com.google.protobuf.ByteString;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.TensorFlow;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;

/**
 * Chooses the nodes of a training graph that XLA compiles, marks them, and substitutes the max-pooling
 * gradients.
 *
 * <h2>Mechanism</h2>
 * TensorFlow compiles a node with XLA when it carries the attribute {@value #COMPILE_ATTR}{@code =true};
 * marked nodes that share an {@value #SCOPE_ATTR} and touch each other are fused into one cluster
 * (one compiled kernel). The attributes are written into the graph's {@code GraphDef}, which is then
 * imported into a fresh graph: no environment variable ({@code TF_XLA_FLAGS}) is needed, and
 * {@code ConfigProto}'s {@code global_jit_level} alone compiles nothing on CPU
 * ({@code TF-JAVA-NOTES.md}).
 *
 * <h2>Which nodes</h2>
 * On this CPU (2-core AMD EPYC), the convolutions and their two gradients are 70-80% of a training step,
 * and TensorFlow runs them with oneDNN, which XLA's CPU convolutions do not match (compiling everything
 * made training 1.3-1.9x slower). What XLA does well is fusing chains of cheap operations into one
 * loop. The selection ({@link #DEFAULT}):
 * <ul>
 * <li>by operation type ({@link #COMPILED_TYPES}): element-wise arithmetic, the exact GELU and its
 *     gradient (Erf, Exp, Square, ...), casts, the shape and reduction operations that the gradients of
 *     broadcasting multiplications need, the whitening bias, the loss. <em>Not</em> Conv2D and its
 *     gradients, MatMul, MaxPool (XLA's versions lose to TensorFlow's), nor BatchNorm and its gradient
 *     (oneDNN's fused kernels beat XLA's expansion of them in the training step);</li>
 * <li>max-pooling gradients: replaced by an equivalent of element-wise operations and compiled
 *     ({@link MaxPoolGradRewrite}); they were the largest cost after the convolutions (about 10% of the
 *     step in float32, 13% with bfloat16 convolutions);</li>
 * <li>by place ({@link #COMPILED_SCOPES}, {@link #EXCLUDED_SCOPES}): the network's forward pass, the
 *     loss and the gradients; not the optimizer's per-variable updates, Lookahead or the BatchNorm
 *     running statistics, which are small vectors that would only become many tiny clusters;</li>
 * <li>no lone operations: a connected group of chosen nodes needs at least two computing operations
 *     ({@link #dropLoneOperations}), otherwise nothing is fused and a cluster launch is added;</li>
 * <li>by safety, whatever the lists say: never a stateful operation, and never one that consumes or
 *     produces a reference-typed tensor (the {@code VariableV2} variables, {@code Assign},
 *     {@code ApplyMomentum}): XLA clusters cannot take reference edges. This is why the network reads
 *     each parameter through an {@code Identity} (see {@code AirbenchNetwork.read}).</li>
 * </ul>
 *
 * <h2>What was measured</h2>
 * Training-step time, plain graph divided by compiled graph, airbench94 network, batch 512, the two
 * models interleaved in one JVM, median of 3 (more than 1 = compiled faster):
 * <table>
 * <caption>Alternatives tried</caption>
 * <tr><th>selection</th><th>float32</th><th>bfloat16 convolutions</th></tr>
 * <tr><td>element-wise + GELU + loss (no BatchNorm, no pooling)</td><td>1.00-1.06</td><td>1.04</td></tr>
 * <tr><td>... + BatchNorm and its gradient</td><td>0.99</td><td>0.95 (batch 256)</td></tr>
 * <tr><td>... + max-pooling forward and gradient as XLA ops</td><td>0.71 (batch 256)</td><td></td></tr>
 * <tr><td>... + forward convolutions</td><td>0.87 (batch 256)</td><td></td></tr>
 * <tr><td>element-wise + max-pooling gradient rewritten (chosen)</td><td>1.17</td><td>1.19</td></tr>
 * <tr><td>... + BatchNorm and its gradient</td><td></td><td>1.06</td></tr>
 * <tr><td>chosen, but with Grappler's arithmetic optimizer on</td><td>1.15</td><td></td></tr>
 * </table>
 * The batch-256 rows were measured while another training ran on the same cores and only rank the
 * alternatives. {@code docs/results/timing-94-*.json} hold the measurement at batch 1024.
 */
final class XlaClustering {

    static final String COMPILE_ATTR = "_XlaCompile";
    static final String SCOPE_ATTR = "_XlaScope";
    /** One scope for all marked nodes: TensorFlow may fuse any connected marked nodes. */
    static final String SCOPE = "airbench";

    /** Operation types that are compiled (when the other rules allow it). */
    static final Set<String> COMPILED_TYPES = Set.of(
            // element-wise arithmetic, the GELU (0.5 x (1 + erf(x / sqrt 2))), the SiLU (x sigmoid(x)) and gradients
            "Add", "AddV2", "AddN", "Sub", "Mul", "Div", "RealDiv", "Neg", "Square", "Sqrt", "Rsqrt",
            "Exp", "Log", "Erf", "Sigmoid", "SigmoidGrad", "Maximum", "Minimum", "OnesLike", "ZerosLike", "Identity", "Cast",
            // shapes and reductions (gradients of broadcasting operations)
            "Const", "Shape", "Size", "Rank", "Range", "Mod", "Fill", "Reshape", "ExpandDims", "Squeeze",
            "Tile", "Sum", "Mean", "BroadcastGradientArgs", "DynamicStitch",
            // the whitening layer's bias, the loss and the accuracy count
            "BiasAdd", "BiasAddGrad", "OneHot", "SoftmaxCrossEntropyWithLogits", "LogSoftmax", "ArgMax",
            "Equal");

    /** Name prefixes of the graph parts that are compiled (see {@link TrainingGraph}). */
    static final List<String> COMPILED_SCOPES = List.of("net/", "loss/", "optimizer/Gradients/",
            "optimizer/" + TrainingGraph.FROZEN_WHITENING_SCOPE + "/Gradients/");

    /**
     * Name prefixes left out although inside {@link #COMPILED_SCOPES}: the BatchNorm running-statistics
     * updates, a multiply-add on a vector of channels per layer that would only become a dozen tiny
     * clusters.
     */
    static final List<String> EXCLUDED_SCOPES = List.of("net/" + AirbenchNetwork.RUNNING_STATS_SCOPE);

    /**
     * Which nodes to compile: operation types, graph-name prefixes to include and to leave out (the
     * safety rules always apply), and whether max-pooling gradients in those scopes are replaced by
     * their element-wise equivalent ({@link MaxPoolGradRewrite}) and compiled.
     */
    record Selection(Set<String> types, List<String> scopes, List<String> excludedScopes,
                     boolean rewriteMaxPoolGradients) {
        Selection {
            types = Set.copyOf(types);
            scopes = List.copyOf(scopes);
            excludedScopes = List.copyOf(excludedScopes);
        }

        boolean inScope(String name) {
            return scopes.stream().anyMatch(name::startsWith) && excludedScopes.stream().noneMatch(name::startsWith);
        }

        boolean selects(GraphOperation op) {
            return types.contains(op.type()) && inScope(op.name());
        }
    }

    /** The selection {@link Compilation#XLA} uses. */
    static final Selection DEFAULT = new Selection(COMPILED_TYPES, COMPILED_SCOPES, EXCLUDED_SCOPES, true);

    /**
     * What was marked.
     *
     * @param graphDef    the rewritten graph
     * @param markedByType number of marked nodes per operation type
     */
    record Marked(GraphDef graphDef, Map<String, Integer> markedByType) {
        int markedNodes() {
            return markedByType.values().stream().mapToInt(Integer::intValue).sum();
        }
    }

    private XlaClustering() {}

    /** Marks the nodes of {@code graph} that {@code selection} and the safety rules allow; returns the rewritten graph. */
    static Marked mark(Graph graph, Selection selection) {
        Set<String> chosen = new HashSet<>();
        Iterator<GraphOperation> operations = graph.operations();
        while (operations.hasNext()) {
            GraphOperation op = operations.next();
            if (selection.selects(op) && compilable(op)) {
                chosen.add(op.name());
            }
        }
        dropLoneOperations(graph, chosen);
        // A constant joins a cluster only if all its consumers do: otherwise the cluster would compute
        // it and hand it out, and the unmarked consumer would wait for the cluster.
        for (Iterator<GraphOperation> ops = graph.operations(); ops.hasNext(); ) {
            GraphOperation op = ops.next();
            if (op.type().equals("Const") && chosen.contains(op.name())
                    && !op.consumers().stream().allMatch(c -> chosen.contains(c.name()))) {
                chosen.remove(op.name());
            }
        }
        GraphDef original = graph.toGraphDef();
        if (selection.rewriteMaxPoolGradients()) {
            original = MaxPoolGradRewrite.rewrite(graph, original, selection, chosen);
        }
        AttrValue compile = AttrValue.newBuilder().setB(true).build();
        AttrValue scope = AttrValue.newBuilder().setS(ByteString.copyFromUtf8(SCOPE)).build();
        Map<String, Integer> byType = new TreeMap<>();
        GraphDef.Builder def = original.toBuilder();
        for (NodeDef.Builder node : def.getNodeBuilderList()) {
            if (chosen.contains(node.getName())) {
                node.putAttr(COMPILE_ATTR, compile).putAttr(SCOPE_ATTR, scope);
                byType.merge(node.getOp(), 1, Integer::sum);
            }
        }
        return new Marked(def.build(), byType);
    }

    /**
     * Operation types that only describe or relabel a tensor (shapes, constants, reshapes) and do no
     * arithmetic on its values: a cluster made only of these and one computing operation fuses nothing.
     */
    static final Set<String> BOOKKEEPING_TYPES = Set.of("Const", "Shape", "Size", "Rank", "Range", "Mod", "Fill",
            "Reshape", "ExpandDims", "Squeeze", "Identity", "BroadcastGradientArgs", "DynamicStitch");

    /**
     * Unmarks every group of connected chosen nodes with fewer than two computing operations (for
     * example the bfloat16 casts between a variable read and a convolution): compiling a lone operation
     * fuses nothing and adds a cluster launch to the step.
     */
    static void dropLoneOperations(Graph graph, Set<String> chosen) {
        Map<String, String> parent = new HashMap<>();
        chosen.forEach(name -> parent.put(name, name));
        for (String name : chosen) {
            GraphOperation op = graph.operation(name);
            for (int i = 0; i < op.numInputs(); i++) {
                String producer = op.input(i).op().name();
                if (chosen.contains(producer)) {
                    parent.put(root(parent, producer), root(parent, name));
                }
            }
        }
        Map<String, Integer> computing = new HashMap<>();
        for (String name : chosen) {
            if (!BOOKKEEPING_TYPES.contains(graph.operation(name).type())) {
                computing.merge(root(parent, name), 1, Integer::sum);
            }
        }
        chosen.removeIf(name -> computing.getOrDefault(root(parent, name), 0) < 2);
    }

    private static String root(Map<String, String> parent, String name) {
        String r = name;
        while (!parent.get(r).equals(r)) {
            r = parent.get(r);
        }
        parent.put(name, r);
        return r;
    }

    /** Neither stateful nor touching a reference-typed tensor: the conditions for any XLA cluster member. */
    static boolean compilable(GraphOperation op) {
        if (TensorFlow.isOpStateful(op.type())) {
            return false;
        }
        for (int i = 0; i < op.numInputs(); i++) {
            if (isReference(op.input(i))) {
                return false;
            }
        }
        for (int i = 0; i < op.numOutputs(); i++) {
            if (isReference(op.output(i))) {
                return false;
            }
        }
        return true;
    }

    /** Reference types are the value types + 100 ({@code DT_FLOAT_REF = 101}). */
    static boolean isReference(Operand<?> output) {
        DataType type = output.asOutput().dataType();
        return type.getNumber() > 100;
    }

    /** Whether a node of a {@code GraphDef} carries {@value #COMPILE_ATTR}{@code =true}. */
    static boolean isMarked(NodeDef node) {
        AttrValue value = node.getAttrOrDefault(COMPILE_ATTR, null);
        return value != null && value.getB();
    }
}

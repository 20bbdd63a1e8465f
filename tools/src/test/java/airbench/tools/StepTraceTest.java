package airbench.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.tensorflow.proto.DeviceStepStats;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.NodeExecStats;
import org.tensorflow.proto.RunMetadata;
import org.tensorflow.proto.StepStats;

/**
 * The step statistics' sums, on a hand-made trace: a slice of a bf16 training step with its forward and backward
 * convolutions, a shared constant, a look-through shape, an XLA cluster and the optimizer, on two devices.
 */
class StepTraceTest {

    private static final List<String> LAYERS = List.of("whiten", "block1", "block2", "block3", "head", "loss");

    /** One node: name, op type, microseconds, inputs. */
    private record N(String name, String op, long micros, String... inputs) {}

    private static final List<N> CPU_NODES = List.of(
            new N("block2/conv1/kernel/var", "VariableV2", 1),
            new N("net/block3/Const_9", "Const", 0),
            new N("net/block1/Mul_5", "Mul", 40, "net/block1/FusedBatchNorm", "net/block3/Const_9"),
            new N("net/block2/Cast", "Cast", 10, "net/block1/Mul_5"),
            new N("net/block2/Identity", "Identity", 1, "block2/conv1/kernel/var"),
            new N("net/block2/Conv2d", "_MklNativeConv2D", 300, "net/block2/Cast", "net/block2/Identity"),
            new N("net/running_stats/Mul_3", "Mul", 2, "net/block2/Conv2d:2"),
            new N("loss/SoftmaxCrossEntropyWithLogits", "SoftmaxCrossEntropyWithLogits", 5, "net/head/Mul"),
            new N("net/head/Mul", "Mul", 3, "net/head/MatMul"),
            new N("net/head/MatMul", "_MklMatMul", 7, "net/head/Reshape", "net/head/Identity"),
            // Backward: a gradient reading block3's forward tensor, one reading block2's, their sum (no forward input),
            // a reshape to a shape of block2's, and block2's filter gradient, whose only forward input is the layer's
            // input (block1's), its filter's shape folded into a constant.
            new N("optimizer/Gradients/Mul_a", "Mul", 20, "net/block3/Erf", "net/block3/Const_9"),
            new N("optimizer/Gradients/Mul_loss", "Mul", 6, "loss/SoftmaxCrossEntropyWithLogits:1", "net/head/Mul"),
            new N("optimizer/Gradients/Mul_b", "Mul", 30, "optimizer/Gradients/Mul_a", "net/block2/Conv2d"),
            new N("optimizer/Gradients/AddN", "AddN", 15, "optimizer/Gradients/Mul_a", "optimizer/Gradients/Mul_b"),
            new N("optimizer/Gradients/Shape_9", "Shape", 1, "net/block2/Identity"),
            new N("optimizer/Gradients/Reshape_2", "Reshape", 3, "optimizer/Gradients/Mul_a", "optimizer/Gradients/Shape_9"),
            new N("optimizer/Gradients/Shape_10", "Const", 0),
            new N("optimizer/Gradients/Conv2DBackpropFilter_3", "_MklNativeConv2DBackpropFilter", 500,
                    "net/block1/Mul_5", "optimizer/Gradients/Shape_10", "optimizer/Gradients/AddN"),
            // A gradient reading a constant that Grappler moved into block3's scope: the constant is not followed.
            new N("optimizer/Gradients/Multiply_53", "Mul", 25, "net/block3/Const_9", "net/whiten/Add", "^net/block2/Cast"),
            new N("optimizer/SGD/update", "AssignSub", 12, "block2/conv1/kernel/var",
                    "optimizer/Gradients/Conv2DBackpropFilter_3"));

    /** The XLA launch on a second device: the cluster reads a backward tensor, so it is backward, block2's. */
    private static final List<N> XLA_NODES = List.of(
            new N("cluster_5_1/xla_compile", "_XlaCompile", 4, "net/block2/Conv2d"),
            new N("cluster_5_1/predicated_compilation_key", "Switch", 1, "cluster_5_1/xla_compile",
                    "cluster_5_1/xla_compile:1"),
            new N("cluster_5_1/xla_run", "_XlaRun", 200, "optimizer/Gradients/AddN", "net/block2/Conv2d",
                    "cluster_5_1/predicated_compilation_key:1"),
            new N("cluster_5_1/merge_oidx_0", "_XlaMerge", 1, "cluster_5_1/xla_run"));

    private static RunMetadata metadata() {
        GraphDef.Builder graph = GraphDef.newBuilder();
        StepStats.Builder stats = StepStats.newBuilder();
        long start = 1_000_000;
        for (List<N> device : List.of(CPU_NODES, XLA_NODES)) {
            DeviceStepStats.Builder dev = DeviceStepStats.newBuilder().setDevice("/device:CPU:0");
            for (N n : device) {
                graph.addNode(NodeDef.newBuilder().setName(n.name()).setOp(n.op()).addAllInput(List.of(n.inputs())));
                dev.addNodeStats(NodeExecStats.newBuilder().setNodeName(n.name()).setAllStartMicros(start)
                        .setAllEndRelMicros(n.micros()).setTimelineLabel(n.name() + " = " + n.op() + "()"));
                start += n.micros() + 1;
            }
            stats.addDevStats(dev);
        }
        // The executor's source node is in the trace but not in the partition graphs: its type comes from the label.
        stats.getDevStatsBuilder(0).addNodeStats(NodeExecStats.newBuilder().setNodeName("_SOURCE")
                .setAllStartMicros(999_990).setAllEndRelMicros(2).setTimelineLabel("_SOURCE = NoOp()"));
        return RunMetadata.newBuilder().setStepStats(stats).addPartitionGraphs(graph).build();
    }

    private static Map<String, String> places(StepTrace trace) {
        Map<String, String> places = new LinkedHashMap<>();
        trace.nodes().forEach(n -> places.put(n.name(), n.layer() + " " + n.pass().label()));
        return places;
    }

    @Test
    void everyNodeGetsItsLayerAndPassByTheRulesOfTheClassComment() {
        Map<String, String> places = places(StepTrace.of(metadata(), LAYERS));
        assertEquals("block2 forward", places.get("net/block2/Conv2d"));
        assertEquals("block1 forward", places.get("net/block1/Mul_5"));
        assertEquals("running_stats update", places.get("net/running_stats/Mul_3"));
        assertEquals("loss forward", places.get("loss/SoftmaxCrossEntropyWithLogits"));
        assertEquals("block3 backward", places.get("optimizer/Gradients/Mul_a"));
        assertEquals("loss backward", places.get("optimizer/Gradients/Mul_loss"));   // the later of loss and head
        assertEquals("block2 backward", places.get("optimizer/Gradients/Mul_b"));
        assertEquals("block2 backward", places.get("optimizer/Gradients/AddN"));      // the earlier of block3, block2
        assertEquals("block2 backward", places.get("optimizer/Gradients/Reshape_2"));   // through the Shape
        assertEquals("block2 backward", places.get("optimizer/Gradients/Conv2DBackpropFilter_3"));   // its out_backprop's
        assertEquals("whiten backward", places.get("optimizer/Gradients/Multiply_53"));
        assertEquals("optimizer update", places.get("optimizer/SGD/update"));
        assertEquals("variables other", places.get("block2/conv1/kernel/var"));
        assertEquals("block2 backward", places.get("cluster_5_1/xla_run"));
        assertEquals("block2 backward", places.get("cluster_5_1/merge_oidx_0"));   // with its cluster's run node
        assertEquals("block2 backward", places.get("cluster_5_1/predicated_compilation_key"));   // placed before it
        assertEquals("_SOURCE other", places.get("_SOURCE"));
    }

    @Test
    void sumsPerOpTypeLayerAndKindOfWorkAddTheNodesTimes() {
        StepTrace trace = StepTrace.of(metadata(), LAYERS);
        assertEquals(25, trace.nodes().size());
        assertEquals("_SOURCE", trace.nodes().get(0).name());   // in order of start
        assertEquals("NoOp", trace.nodes().get(0).opType());
        // By hand: every node's time.
        double total = 1 + 0 + 40 + 10 + 1 + 300 + 2 + 5 + 3 + 7 + 20 + 6 + 30 + 15 + 1 + 3 + 0 + 500 + 25 + 12 + 4 + 1 + 200 + 1 + 2;
        assertEquals(total, trace.totalMicros());
        Map<String, Double> byType = trace.byOpType().stream()
                .collect(Collectors.toMap(StepTrace.Share::key, StepTrace.Share::micros));
        assertEquals(500.0, byType.get("_MklNativeConv2DBackpropFilter"));
        assertEquals(40.0 + 2 + 3 + 20 + 6 + 30 + 25, byType.get("Mul"));
        assertEquals("_MklNativeConv2DBackpropFilter", trace.byOpType().get(0).key());   // largest first
        assertEquals(500 / total, trace.byOpType().get(0).fraction(), 1e-12);

        Map<String, Double> byLayer = trace.byLayer().stream()
                .collect(Collectors.toMap(StepTrace.Share::key, StepTrace.Share::micros));
        assertEquals(10.0 + 1 + 300, byLayer.get("block2 forward"));
        assertEquals(30.0 + 15 + 1 + 3 + 0 + 500 + 4 + 1 + 200 + 1, byLayer.get("block2 backward"));
        assertEquals(2.0, byLayer.get("running_stats update"));

        Map<String, Double> byKind = trace.byCategory().stream()
                .collect(Collectors.toMap(StepTrace.Share::key, StepTrace.Share::micros));
        assertEquals(800.0, byKind.get("convolution"));
        assertEquals(7.0, byKind.get("matrix product"));
        // variable, constants, identity, shape, compile, switch, merge, source
        double bookkeeping = 1 + 0 + 1 + 1 + 0 + 4 + 1 + 1 + 2;
        assertEquals(bookkeeping, byKind.get("bookkeeping"));
        double memoryBound = total - 800 - 7 - bookkeeping;
        assertEquals(40.0 + 10 + 2 + 5 + 3 + 20 + 6 + 30 + 15 + 3 + 25 + 12 + 200, memoryBound);
        assertEquals(memoryBound, byKind.get("memory bound"));
        assertEquals(memoryBound / total, trace.memoryBoundShare(), 1e-12);
    }

    @Test
    void theMeanOfTracesAveragesEachNode() {
        StepTrace one = StepTrace.of(metadata(), LAYERS);
        StepTrace twice = new StepTrace(one.nodes().stream().map(n -> new StepTrace.NodeTime(n.name(), n.opType(),
                n.layer(), n.pass(), n.category(), n.startMicros(), 3 * n.micros())).toList());
        StepTrace mean = StepTrace.mean(List.of(one, twice));
        assertEquals(2 * one.totalMicros(), mean.totalMicros(), 1e-9);
        assertEquals(1000.0, mean.nodes().stream().filter(n -> n.name().endsWith("BackpropFilter_3")).findFirst()
                .orElseThrow().micros());
    }

    @Test
    void theOpTypeOfATimelineLabel() {
        assertEquals("_MklNativeConv2D", StepTrace.opTypeOfLabel(
                "[mklcpu 1.4MB 1.4MB] net/whiten/Conv2d = _MklNativeConv2D(net/whiten/Cast, net/whiten/Cast_1)"));
        assertEquals("NoOp", StepTrace.opTypeOfLabel("_SOURCE = NoOp()"));
        assertEquals("?", StepTrace.opTypeOfLabel("no equals sign"));
    }
}

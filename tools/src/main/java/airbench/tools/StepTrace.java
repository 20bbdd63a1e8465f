package airbench.tools;

import airbench.model.ConvolutionCost;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import org.tensorflow.proto.DeviceStepStats;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.NodeExecStats;
import org.tensorflow.proto.RunMetadata;

/**
 * Where the time of one traced {@code Session.run} went, node by node, from TensorFlow's step statistics
 * (RunOptions {@code FULL_TRACE}) and the graphs the run executed ({@code output_partition_graphs}), and its sums
 * per op type, per layer and per kind of work.
 *
 * <p>A node's time is its {@code all_end_rel_micros}: from the moment the executor started it to the moment its
 * outputs were ready. The op type is the executed one, after oneDNN's rewrite ({@code _MklNativeConv2D}), so the
 * table shows which kernels ran.
 *
 * <p>Which layer a node belongs to: the forward pass's nodes carry it in their name ({@code net/block2/Conv2d}:
 * AirbenchNetwork puts each layer under a scope of its own); the loss is layer "loss". TensorFlow Java names the
 * gradient nodes flat ({@code optimizer/Gradients/Conv2DBackpropFilter_3}), so a backward node takes its layer
 * from its inputs: the latest layer (in network order) among the forward tensors it reads, looking through
 * {@code Shape}-like nodes to the tensor they measure; a backward node reading no forward tensor (a sum of
 * incoming gradients, a cast of one) takes the earliest layer among its backward inputs, since the gradient flows
 * from the later layers to the earlier ones. A convolution gradient takes the layer of the gradient it propagates
 * (its third input, {@code out_backprop}, which comes from the pooling or BatchNorm of its own layer): its other
 * inputs are the layer's input, which the layer before produced, and the filter or its shape, which Grappler may
 * have folded into a constant. XLA cluster nodes ({@code cluster_7_1/xla_run}) follow the backward rule, and are
 * backward if they read a backward node. Constants are shared between layers by Grappler and are never followed.
 *
 * @param nodes every node of the run, in order of start
 */
public record StepTrace(List<NodeTime> nodes) {

    /** Which part of the training step a node belongs to. */
    public enum Pass { FORWARD, BACKWARD, UPDATE, OTHER;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * Kinds of work, by what limits their speed: convolutions and matrix products are bound by arithmetic; the
     * rest that moves tensors (elementwise ops, BatchNorm, pooling, casts, pads, reductions, layout reorders, the
     * optimizer's updates, and the XLA clusters, which this project fills with elementwise and normalization ops
     * only) by memory bandwidth; bookkeeping (constants, shapes, variables, arguments, control flow of the XLA
     * launch) moves no tensor data worth counting.
     */
    public enum Category { CONVOLUTION, MATRIX_PRODUCT, MEMORY_BOUND, BOOKKEEPING;

        public String label() {
            return name().toLowerCase(Locale.ROOT).replace('_', ' ');
        }

        static Category of(String opType) {
            if (ConvolutionCost.Kind.ofOpType(opType).isPresent()) {
                return CONVOLUTION;
            }
            if (opType.contains("MatMul")) {
                return MATRIX_PRODUCT;
            }
            return BOOKKEEPING_TYPES.contains(opType) ? BOOKKEEPING : MEMORY_BOUND;
        }
    }

    /** Op types that move no tensor data (or only a reference to it). */
    static final Set<String> BOOKKEEPING_TYPES = Set.of("Const", "NoOp", "_SOURCE", "_SINK", "_Arg", "_Retval",
            "_Recv", "_Send", "_HostRecv", "_HostSend", "Placeholder", "VariableV2", "VarHandleOp", "Identity",
            "Shape", "ShapeN", "Size", "Rank", "BroadcastGradientArgs", "_XlaCompile", "_XlaMerge", "Switch",
            "Merge", "StopGradient");
    /** Ops whose output describes their input's shape: a layer is looked for behind them. */
    private static final Set<String> SHAPE_TYPES = Set.of("Shape", "ShapeN", "Size", "Rank");
    /** Ops never followed when looking for a layer: Grappler shares constants between layers. */
    private static final Set<String> NOT_FOLLOWED = Set.of("Const", "_Arg", "VariableV2", "VarHandleOp", "NoOp",
            "_SOURCE");
    /** The layer of a node no rule places. */
    public static final String UNATTRIBUTED = "unattributed";

    /**
     * One executed node.
     *
     * @param startMicros when it started, from the run's first node
     * @param micros      its time ({@code all_end_rel_micros}; a mean over runs after {@link #mean})
     */
    public record NodeTime(String name, String opType, String layer, Pass pass, Category category,
                           double startMicros, double micros) {}

    /**
     * A sum over nodes.
     *
     * @param fraction of the summed time of every node
     */
    public record Share(String key, double micros, int nodes, double fraction) {}

    public StepTrace {
        nodes = List.copyOf(nodes);
    }

    /**
     * The nodes of a traced run ({@code metadata} with step statistics and partition graphs).
     *
     * @param layerOrder the network's layer scopes in order ("whiten", "block1", ..., "head", "loss")
     */
    public static StepTrace of(RunMetadata metadata, List<String> layerOrder) {
        Map<String, NodeDef> defs = new HashMap<>();
        for (GraphDef partition : metadata.getPartitionGraphsList()) {
            partition.getNodeList().forEach(n -> defs.put(n.getName(), n));
        }
        List<NodeExecStats> executed = new ArrayList<>();
        for (DeviceStepStats device : metadata.getStepStats().getDevStatsList()) {
            executed.addAll(device.getNodeStatsList());
        }
        long first = executed.stream().mapToLong(NodeExecStats::getAllStartMicros).min().orElse(0);
        Map<String, String> opTypes = new HashMap<>();
        for (NodeExecStats n : executed) {
            NodeDef def = defs.get(n.getNodeName());
            opTypes.put(n.getNodeName(), def != null ? def.getOp() : opTypeOfLabel(n.getTimelineLabel()));
        }
        Placement placement = new Placement(defs, opTypes, layerOrder);
        List<NodeTime> nodes = new ArrayList<>();
        for (NodeExecStats n : executed) {
            String name = n.getNodeName();
            String type = opTypes.get(name);
            Placement.Place place = placement.of(name);
            nodes.add(new NodeTime(name, type, place.layer(), place.pass(), Category.of(type),
                    n.getAllStartMicros() - first, n.getAllEndRelMicros()));
        }
        nodes.sort(Comparator.comparingDouble(NodeTime::startMicros));
        return new StepTrace(nodes);
    }

    /**
     * The op type in a timeline label, "[mklcpu 1.4MB 1.4MB] net/whiten/Conv2d = _MklNativeConv2D(net/whiten/Cast,
     * ...)": for nodes the partition graphs do not hold.
     */
    static String opTypeOfLabel(String label) {
        int equals = label.indexOf(" = ");
        if (equals < 0) {
            return "?";
        }
        int paren = label.indexOf('(', equals);
        return label.substring(equals + 3, paren < 0 ? label.length() : paren).trim();
    }

    /** The mean of several traces of the same run, node by node (a node missing from a trace counts 0 there). */
    public static StepTrace mean(List<StepTrace> traces) {
        if (traces.isEmpty()) {
            throw new IllegalArgumentException("no traces");
        }
        Map<String, NodeTime> firstSeen = new LinkedHashMap<>();
        Map<String, double[]> sums = new HashMap<>();   // start, time
        for (StepTrace trace : traces) {
            for (NodeTime n : trace.nodes()) {
                firstSeen.putIfAbsent(n.name(), n);
                double[] sum = sums.computeIfAbsent(n.name(), k -> new double[2]);
                sum[0] += n.startMicros();
                sum[1] += n.micros();
            }
        }
        List<NodeTime> nodes = new ArrayList<>();
        firstSeen.forEach((name, n) -> {
            double[] sum = sums.get(name);
            nodes.add(new NodeTime(name, n.opType(), n.layer(), n.pass(), n.category(), sum[0] / traces.size(),
                    sum[1] / traces.size()));
        });
        nodes.sort(Comparator.comparingDouble(NodeTime::startMicros));
        return new StepTrace(nodes);
    }

    /** The summed time of every node (on 2 cores with one inter-op thread, close to the step's span). */
    public double totalMicros() {
        return nodes.stream().mapToDouble(NodeTime::micros).sum();
    }

    /** From the first node's start to the last node's end. */
    public double spanMicros() {
        return nodes.stream().mapToDouble(n -> n.startMicros() + n.micros()).max().orElse(0);
    }

    public List<Share> byOpType() {
        return sums(NodeTime::opType);
    }

    /** Per layer and pass: "block2 backward". */
    public List<Share> byLayer() {
        return sums(n -> n.layer() + " " + n.pass().label());
    }

    public List<Share> byCategory() {
        return sums(n -> n.category().label());
    }

    /** The fraction of the summed node time in {@link Category#MEMORY_BOUND} nodes. */
    public double memoryBoundShare() {
        double total = totalMicros();
        return total == 0 ? 0 : nodes.stream().filter(n -> n.category() == Category.MEMORY_BOUND)
                .mapToDouble(NodeTime::micros).sum() / total;
    }

    /** Sums by {@code key}, largest first. */
    private List<Share> sums(Function<NodeTime, String> key) {
        double total = totalMicros();
        Map<String, double[]> sums = new LinkedHashMap<>();   // time, count
        for (NodeTime n : nodes) {
            double[] sum = sums.computeIfAbsent(key.apply(n), k -> new double[2]);
            sum[0] += n.micros();
            sum[1]++;
        }
        List<Share> shares = new ArrayList<>();
        sums.forEach((k, v) -> shares.add(new Share(k, v[0], (int) v[1], total == 0 ? 0 : v[0] / total)));
        shares.sort(Comparator.comparingDouble(Share::micros).reversed());
        return shares;
    }

    /** The layer and pass of each node, by the rules of the class comment. */
    private static final class Placement {
        record Place(String layer, Pass pass) {}

        private final Map<String, NodeDef> defs;
        private final Map<String, String> opTypes;
        private final List<String> layerOrder;
        private final Map<String, Place> placed = new HashMap<>();

        Placement(Map<String, NodeDef> defs, Map<String, String> opTypes, List<String> layerOrder) {
            this.defs = defs;
            this.opTypes = opTypes;
            this.layerOrder = layerOrder;
        }

        Place of(String name) {
            Place known = placed.get(name);
            if (known != null) {
                return known;
            }
            // Cycle guard (graphs with loops): a node being placed counts as unattributed for its own inputs.
            placed.put(name, new Place(UNATTRIBUTED, Pass.OTHER));
            Place place = place(name);
            placed.put(name, place);
            return place;
        }

        private Place place(String name) {
            String[] parts = name.split("/");
            if (name.contains("/Gradients/")) {
                return new Place(fromInputs(name).orElse(UNATTRIBUTED), Pass.BACKWARD);
            }
            if (parts[0].startsWith("cluster_")) {
                // Every node of an XLA launch goes with the cluster's run node.
                String run = parts[0] + "/xla_run";
                if (!name.equals(run) && defs.containsKey(run)) {
                    return of(run);
                }
                boolean backward = inputs(name).stream().anyMatch(i -> of(i).pass() == Pass.BACKWARD);
                return new Place(fromInputs(name).orElse(UNATTRIBUTED), backward ? Pass.BACKWARD : Pass.FORWARD);
            }
            if (parts[0].equals("net")) {
                if (parts.length >= 3 && parts[1].equals("running_stats")) {
                    return new Place("running_stats", Pass.UPDATE);
                }
                return new Place(parts.length >= 3 ? parts[1] : "net", Pass.FORWARD);
            }
            if (parts[0].equals("loss")) {
                return new Place("loss", Pass.FORWARD);
            }
            if (parts[0].equals("optimizer") || parts[0].equals("lookahead")) {
                return new Place(parts[0], Pass.UPDATE);
            }
            String type = opTypes.getOrDefault(name, "");
            return new Place(type.startsWith("Variable") || type.equals("VarHandleOp") ? "variables" : parts[0],
                    Pass.OTHER);
        }

        /** The layer of a backward or cluster node: see the class comment. */
        private Optional<String> fromInputs(String name) {
            List<String> inputs = inputs(name);
            boolean convolutionGradient = ConvolutionCost.Kind.ofOpType(opTypes.getOrDefault(name, ""))
                    .filter(k -> k != ConvolutionCost.Kind.FORWARD).isPresent();
            if (convolutionGradient && inputs.size() >= 3) {
                String layer = of(inputs.get(2)).layer();
                if (layerOrder.contains(layer)) {
                    return Optional.of(layer);
                }
            }
            Optional<String> latestForward = Optional.empty();
            Optional<String> earliestBackward = Optional.empty();
            for (String input : readInputs(name, 3)) {
                Place p = of(input);
                if (!layerOrder.contains(p.layer())) {
                    continue;
                }
                if (p.pass() == Pass.FORWARD) {
                    latestForward = later(latestForward, p.layer(), true);
                } else if (p.pass() == Pass.BACKWARD) {
                    earliestBackward = later(earliestBackward, p.layer(), false);
                }
            }
            return latestForward.isPresent() ? latestForward : earliestBackward;
        }

        /** {@code current} or {@code layer}, whichever is later in the network ({@code later}) or earlier. */
        private Optional<String> later(Optional<String> current, String layer, boolean later) {
            if (current.isEmpty()) {
                return Optional.of(layer);
            }
            int a = layerOrder.indexOf(current.get());
            int b = layerOrder.indexOf(layer);
            return Optional.of((later ? b > a : b < a) ? layer : current.get());
        }

        /** The followed data inputs of a node, with shape nodes replaced by what they measure. */
        private List<String> readInputs(String name, int depth) {
            List<String> result = new ArrayList<>();
            for (String input : inputs(name)) {
                String type = opTypes.getOrDefault(input, defs.containsKey(input) ? defs.get(input).getOp() : "");
                if (NOT_FOLLOWED.contains(type)) {
                    continue;
                }
                if (SHAPE_TYPES.contains(type) && depth > 0) {
                    result.addAll(readInputs(input, depth - 1));
                } else {
                    result.add(input);
                }
            }
            return result;
        }

        /**
         * The producers of a node's data inputs ("x:1" is x; control inputs "^x" are not data), but for the nodes of
         * its own XLA launch ({@code cluster_5_1/predicated_compilation_key} of {@code cluster_5_1/xla_run}), which
         * take their place from the launch's run node and hold no tensor of the network.
         */
        private List<String> inputs(String name) {
            NodeDef def = defs.get(name);
            if (def == null) {
                return List.of();
            }
            String first = name.split("/")[0];
            String ownLaunch = first.startsWith("cluster_") ? first + "/" : null;
            List<String> inputs = new ArrayList<>();
            for (String input : def.getInputList()) {
                int colon = input.indexOf(':');
                String producer = colon < 0 ? input : input.substring(0, colon);
                if (!input.startsWith("^") && (ownLaunch == null || !producer.startsWith(ownLaunch))) {
                    inputs.add(producer);
                }
            }
            return inputs;
        }
    }
}

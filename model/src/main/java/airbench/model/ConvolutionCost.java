package airbench.model;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.ndarray.Shape;

/**
 * The arithmetic of one convolution node of a graph: a forward convolution or one of its two gradients, with the
 * shapes it works on, read from the graph's static shapes (the batch dimension, unknown there, is given when
 * the FLOPs are asked for).
 *
 * <p>All three kinds cost the same multiply-adds: every output position of the forward convolution meets every
 * filter tap once. The forward pass computes {@code y = x * w}; the input gradient is the transposed convolution
 * of {@code dy} with {@code w}, the filter gradient the correlation of {@code x} with {@code dy}; each sums the
 * same products {@code x[n, h+i, w+j, c] w[i, j, c, k]} in another order. Hence one formula,
 * {@code 2 N Ho Wo Cout Kh Kw Cin} (2 for a multiply and an add), from the forward convolution's output shape
 * (which is the gradients' {@code out_backprop}) and the filter shape.
 *
 * @param node        the graph node's name
 * @param kind        which of the three it is
 * @param output      the forward convolution's output, {@code [N, Ho, Wo, Cout]} (N may be -1: the batch)
 * @param filter      the filter, {@code [Kh, Kw, Cin, Cout]}
 * @param fusedNames  the names the convolution may run under instead: Grappler's remapper fuses a convolution with
 *                    the {@code BiasAdd} after it into one {@code _FusedConv2D} node named after the {@code BiasAdd}
 *                    (the whitening layer's, in float32)
 */
public record ConvolutionCost(String node, Kind kind, Shape output, Shape filter, List<String> fusedNames) {

    /** Op types Grappler fuses into the convolution before them, the fused node taking their name. */
    static final List<String> FUSED_CONSUMERS = List.of("BiasAdd", "FusedBatchNorm", "FusedBatchNormV3");

    /** Which computation of a convolution layer a node is. */
    public enum Kind {
        FORWARD("Conv2D"), INPUT_GRADIENT("Conv2DBackpropInput"), FILTER_GRADIENT("Conv2DBackpropFilter");

        /** TensorFlow's op type before oneDNN's rewrite (which prefixes it: {@code _MklNativeConv2D}). */
        public final String opType;

        Kind(String opType) {
            this.opType = opType;
        }

        public String label() {
            return name().toLowerCase(Locale.ROOT).replace('_', ' ');
        }

        /** The kind of an op type, oneDNN's ({@code _MklNativeConv2DBackpropFilter}, fused forms) included. */
        public static Optional<Kind> ofOpType(String type) {
            // Longest names first: "Conv2D" is a prefix of both gradients' names.
            for (Kind kind : List.of(FILTER_GRADIENT, INPUT_GRADIENT)) {
                if (type.contains(kind.opType)) {
                    return Optional.of(kind);
                }
            }
            return type.contains(FORWARD.opType) ? Optional.of(FORWARD) : Optional.empty();
        }
    }

    /** A convolution that runs under its own name. */
    public ConvolutionCost(String node, Kind kind, Shape output, Shape filter) {
        this(node, kind, output, filter, List.of());
    }

    public ConvolutionCost {
        fusedNames = List.copyOf(fusedNames);
        if (output.numDimensions() != 4 || filter.numDimensions() != 4) {
            throw new IllegalArgumentException("a 2-D convolution has rank-4 output and filter shapes, got " + output
                    + " and " + filter);
        }
        for (int i = 0; i < 4; i++) {
            if (i > 0 && output.size(i) < 1 || filter.size(i) < 1) {
                throw new IllegalArgumentException("node " + node + ": only the batch dimension may be unknown, got "
                        + output + " and " + filter);
            }
        }
        if (output.size(3) != filter.size(3)) {
            throw new IllegalArgumentException("node " + node + ": output channels " + output.size(3)
                    + " differ from the filter's " + filter.size(3));
        }
    }

    /** Floating-point operations (multiply and add counted apart) for a batch of {@code batch} images. */
    public double flops(long batch) {
        long n = output.size(0) > 0 ? output.size(0) : batch;
        return 2.0 * n * output.size(1) * output.size(2) * output.size(3)
                * filter.size(0) * filter.size(1) * filter.size(2);
    }

    /**
     * The convolution nodes of {@code graph} (TensorFlow's own op types, as built; oneDNN rewrites them when the
     * session runs, keeping their names). The input gradient's {@code out_backprop} is its third input; the filter
     * gradient's filter shape is its own output.
     *
     * @throws IllegalArgumentException if a convolution's shapes are not known statically but for the batch
     */
    public static List<ConvolutionCost> inGraph(Graph graph) {
        List<ConvolutionCost> costs = new ArrayList<>();
        for (Iterator<GraphOperation> ops = graph.operations(); ops.hasNext(); ) {
            GraphOperation op = ops.next();
            Optional<Kind> kind = Kind.ofOpType(op.type()).filter(k -> k.opType.equals(op.type()));
            if (kind.isEmpty()) {
                continue;
            }
            costs.add(switch (kind.get()) {
                case FORWARD -> new ConvolutionCost(op.name(), Kind.FORWARD, op.output(0).shape(), op.input(1).shape(),
                        op.consumers().stream().filter(c -> FUSED_CONSUMERS.contains(c.type()))
                                .map(GraphOperation::name).sorted().toList());
                case INPUT_GRADIENT -> new ConvolutionCost(op.name(), Kind.INPUT_GRADIENT, op.input(2).shape(),
                        op.input(1).shape());
                case FILTER_GRADIENT -> new ConvolutionCost(op.name(), Kind.FILTER_GRADIENT, op.input(2).shape(),
                        op.output(0).shape());
            });
        }
        return costs;
    }
}

package airbench.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.tensorflow.ndarray.Shape;

/** The FLOPs of a convolution and its gradients: the formula by hand, and airbench94's graph against the 0.236 GFLOP. */
class ConvolutionCostTest {

    @Test
    void theFormulaIsTwoFlopsPerMultiplyAddOfEveryOutputPositionAndFilterTap() {
        // airbench94's block1 conv1 without the whitening layer's shrink: 1024 images, 32x32 outputs, 24 -> 64
        // channels, 3x3: 1024 * 32 * 32 * 64 outputs, each 3 * 3 * 24 = 216 multiply-adds.
        ConvolutionCost conv = new ConvolutionCost("c", ConvolutionCost.Kind.FORWARD, Shape.of(-1, 32, 32, 64),
                Shape.of(3, 3, 24, 64));
        assertEquals(2.0 * 1024 * 32 * 32 * 64 * 216, conv.flops(1024));
        assertEquals(28_991_029_248.0, conv.flops(1024));
        // A known batch in the shape wins over the one asked for; a 1x1 conv is a matrix product of N*H*W x Cin x Cout.
        ConvolutionCost pointwise = new ConvolutionCost("p", ConvolutionCost.Kind.FILTER_GRADIENT, Shape.of(8, 4, 4, 5),
                Shape.of(1, 1, 3, 5));
        assertEquals(2.0 * (8 * 4 * 4) * 3 * 5, pointwise.flops(1024));
    }

    @Test
    void shapesThatCannotBeAConvolutionAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new ConvolutionCost("x", ConvolutionCost.Kind.FORWARD,
                Shape.of(-1, 32, 32, 64), Shape.of(3, 3, 24, 32)));   // 64 output channels, a 32-channel filter
        assertThrows(IllegalArgumentException.class, () -> new ConvolutionCost("x", ConvolutionCost.Kind.FORWARD,
                Shape.of(-1, -1, 32, 64), Shape.of(3, 3, 24, 64)));   // unknown height
        assertThrows(IllegalArgumentException.class, () -> new ConvolutionCost("x", ConvolutionCost.Kind.FORWARD,
                Shape.of(-1, 32, 64), Shape.of(3, 3, 24, 64)));
    }

    @Test
    void oneDnnsOpTypesMapToTheirKind() {
        assertEquals(Optional.of(ConvolutionCost.Kind.FORWARD), ConvolutionCost.Kind.ofOpType("_MklNativeConv2D"));
        assertEquals(Optional.of(ConvolutionCost.Kind.FORWARD), ConvolutionCost.Kind.ofOpType("_MklNativeFusedConv2D"));
        assertEquals(Optional.of(ConvolutionCost.Kind.INPUT_GRADIENT),
                ConvolutionCost.Kind.ofOpType("_MklNativeConv2DBackpropInput"));
        assertEquals(Optional.of(ConvolutionCost.Kind.FILTER_GRADIENT),
                ConvolutionCost.Kind.ofOpType("Conv2DBackpropFilter"));
        assertEquals(Optional.empty(), ConvolutionCost.Kind.ofOpType("MatMul"));
    }

    /**
     * airbench94's training graph in float32: the forward convolutions of one image add up to the 0.236
     * GFLOP, computed by hand from the layer sizes (31x31 after the 2x2 whitening conv, pooled to 15, 7 and 3):
     * whiten 2*961*24*12, block1 2*961*64*216 + 2*225*64*576, block2 2*225*256*576 + 2*49*256*2304, block3
     * 2*49*256*2304 + 2*9*256*2304. Each gradient of the block convolutions costs their forward FLOPs again.
     */
    @Test
    void airbench94sForwardConvolutionsCostTheHandComputedFlopsAndEachGradientAsMuchAgain() {
        double whiten = 2.0 * 961 * 24 * 12;
        double blocks = 2.0 * 961 * 64 * 216 + 2.0 * 225 * 64 * 576 + 2.0 * 225 * 256 * 576 + 2.0 * 49 * 256 * 2304
                + 2.0 * 49 * 256 * 2304 + 2.0 * 9 * 256 * 2304;
        assertEquals(236_289_600.0, whiten + blocks);
        try (AirbenchModel model = new AirbenchModel(NetworkSpec.AIRBENCH94, Precision.FP32,
                new OptimizerSpec(1024, 11.5, 0.85, 0.0153, 64), 1)) {
            List<ConvolutionCost> convs = model.convolutions();
            // The training forward pass (net/<layer>/...) and the inference pass (its scopes made unique: whiten_1).
            Predicate<ConvolutionCost> training = c -> List.of("net/whiten/", "net/block1/", "net/block2/", "net/block3/")
                    .stream().anyMatch(c.node()::startsWith);
            assertEquals(7, convs.stream().filter(c -> c.kind() == ConvolutionCost.Kind.FORWARD).filter(training).count());
            assertEquals(whiten + blocks, sum(convs, c -> c.kind() == ConvolutionCost.Kind.FORWARD && training.test(c)));
            assertEquals(2 * (whiten + blocks), sum(convs, c -> c.kind() == ConvolutionCost.Kind.FORWARD));
            // The step with the whitening bias trained (optimizer/Gradients/...): no gradient of the frozen whitening
            // filters, and its input is the images, which need none.
            Predicate<ConvolutionCost> step = c -> c.node().startsWith("optimizer/Gradients/");
            assertEquals(blocks, sum(convs, c -> c.kind() == ConvolutionCost.Kind.INPUT_GRADIENT && step.test(c)));
            assertEquals(blocks, sum(convs, c -> c.kind() == ConvolutionCost.Kind.FILTER_GRADIENT && step.test(c)));
            // Grappler fuses the whitening conv with its BiasAdd, the fused node named after the BiasAdd.
            assertEquals(List.of("net/whiten/BiasAdd"), convs.stream().filter(c -> c.node().equals("net/whiten/Conv2d"))
                    .findFirst().orElseThrow().fusedNames());
            Map<ConvolutionCost.Kind, Long> counts = convs.stream().filter(step)
                    .collect(Collectors.groupingBy(ConvolutionCost::kind, Collectors.counting()));
            assertEquals(Map.of(ConvolutionCost.Kind.INPUT_GRADIENT, 6L, ConvolutionCost.Kind.FILTER_GRADIENT, 6L), counts);
        }
    }

    private static double sum(List<ConvolutionCost> convs, Predicate<ConvolutionCost> which) {
        return convs.stream().filter(which).mapToDouble(c -> c.flops(1)).sum();
    }
}

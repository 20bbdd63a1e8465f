package airbench.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import airbench.model.Compilation;
import airbench.model.ConvolutionCost;
import airbench.model.NetworkSpec;
import airbench.model.Precision;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.tensorflow.ndarray.Shape;

/** The step profile: its convolution rates and peak by hand, and a tiny real profile through TensorFlow's trace. */
class StepProfileTest {

    @Test
    void aConvolutionsRateIsItsFlopsOverItsTraceTime() {
        StepTrace trace = new StepTrace(List.of(
                new StepTrace.NodeTime("net/block1/Conv2d", "_MklNativeConv2D", "block1", StepTrace.Pass.FORWARD,
                        StepTrace.Category.CONVOLUTION, 0, 1000),
                new StepTrace.NodeTime("optimizer/Gradients/Conv2DBackpropFilter", "_MklNativeConv2DBackpropFilter",
                        "block1", StepTrace.Pass.BACKWARD, StepTrace.Category.CONVOLUTION, 1000, 4000),
                new StepTrace.NodeTime("net/block1/Fused", "_MklNativeFusedConv2D", "block1", StepTrace.Pass.FORWARD,
                        StepTrace.Category.CONVOLUTION, 5000, 10),
                new StepTrace.NodeTime("net/whiten/BiasAdd", "_MklNativeFusedConv2D", "whiten", StepTrace.Pass.FORWARD,
                        StepTrace.Category.CONVOLUTION, 6000, 100),
                new StepTrace.NodeTime("net/block1/Erf", "Erf", "block1", StepTrace.Pass.FORWARD,
                        StepTrace.Category.MEMORY_BOUND, 5010, 50)));
        Shape output = Shape.of(-1, 32, 32, 64);
        Shape filter = Shape.of(3, 3, 24, 64);
        List<ConvolutionCost> costs = List.of(
                new ConvolutionCost("net/block1/Conv2d", ConvolutionCost.Kind.FORWARD, output, filter),
                new ConvolutionCost("optimizer/Gradients/Conv2DBackpropFilter", ConvolutionCost.Kind.FILTER_GRADIENT,
                        output, filter),
                new ConvolutionCost("net/whiten/Conv2d", ConvolutionCost.Kind.FORWARD, Shape.of(-1, 31, 31, 24),
                        Shape.of(2, 2, 3, 24), List.of("net/whiten/BiasAdd")));
        List<StepProfile.ConvolutionRow> rows = StepProfile.convolutionRows(trace, costs, 2);
        assertEquals(4, rows.size());
        double flops = 2.0 * 2 * 32 * 32 * 64 * 3 * 3 * 24;   // 56,623,104
        assertEquals(flops, rows.get(0).flops());
        assertEquals(flops / 1000 / 1e3, rows.get(0).gflops(), 1e-9);   // 56.6 GFLOP/s in 1 ms
        assertEquals(ConvolutionCost.Kind.FILTER_GRADIENT, rows.get(1).kind());
        assertEquals(flops / 4000 / 1e3, rows.get(1).gflops(), 1e-9);
        assertTrue(Double.isNaN(rows.get(2).flops()), "a node the graph has no shapes for has unknown FLOPs");
        assertEquals("32x32x64 <- 3x3x24", rows.get(0).shape());
        // The whitening conv fused with its BiasAdd runs under the BiasAdd's name: 2 * 2 * 961 * 24 * 12 in 0.1 ms.
        assertEquals(2.0 * 2 * 961 * 24 * 12, rows.get(3).flops());
        assertEquals(2.0 * 2 * 961 * 24 * 12 / 100 / 1e3, rows.get(3).gflops(), 1e-9);
    }

    @Test
    void thePeakIsTwoNCubedOverTheFastestProduct() {
        MachinePeak peak = new MachinePeak(Precision.BF16, 2048, "_MklMatMul", 40, 50);
        assertEquals(2.0 * 2048 * 2048 * 2048, peak.flops());
        assertEquals(17.179869184e9 / 40e-3 / 1e9, peak.gflops(), 1e-9);   // 429.5 GFLOP/s
        assertEquals(17.179869184e9 / 50e-3 / 1e9, peak.medianGflops(), 1e-9);
    }

    @Test
    void theTableSetsEachConvolutionAgainstThePeakOfTheStepsPrecisionAndNotesAPeakItOutran() {
        StepTrace trace = new StepTrace(List.of(
                new StepTrace.NodeTime("net/block1/Conv2d", "_MklNativeConv2D", "block1", StepTrace.Pass.FORWARD,
                        StepTrace.Category.CONVOLUTION, 0, 1000),
                new StepTrace.NodeTime("net/block1/Erf", "Erf", "block1", StepTrace.Pass.FORWARD,
                        StepTrace.Category.MEMORY_BOUND, 1000, 3000)));
        List<ConvolutionCost> costs = List.of(new ConvolutionCost("net/block1/Conv2d", ConvolutionCost.Kind.FORWARD,
                Shape.of(-1, 32, 32, 64), Shape.of(3, 3, 24, 64)));
        StepProfile.Settings settings = StepProfile.Settings.of("94", NetworkSpec.AIRBENCH94, Precision.BF16,
                Compilation.XLA).withBatchSize(2);
        airbench.model.TensorFlowRuntime.Status runtime = new airbench.model.TensorFlowRuntime.Status(true,
                "_MklNativeConv2D", true, new airbench.model.CpuFeatures("cpu", java.util.Set.of("avx512_bf16")));
        // 2 n^3 = 17.18 GFLOP: 1718 GFLOP/s in float32 (10 ms), 429.5 in bf16 (40 ms), the step's precision.
        List<MachinePeak> peaks = List.of(new MachinePeak(Precision.FP32, 2048, "_MklMatMul", 10, 10),
                new MachinePeak(Precision.BF16, 2048, "_MklMatMul", 40, 40));
        StepProfile.Report report = new StepProfile.Report(settings, runtime, peaks, trace,
                StepProfile.convolutionRows(trace, costs, 2), TimingStats.of(5), TimingStats.of(6), "now", 1);
        String table = StepProfile.table(report);
        // 56.6 GFLOP/s is 13% of 429.5; the step (56.6 MFLOP in 5 ms) runs at 11.3 GFLOP/s of convolution work, 3%.
        assertTrue(table.lines().anyMatch(l -> l.startsWith("net/block1/Conv2d ") && l.matches(".* 57 +13$")), table);
        assertTrue(table.contains("memory-bound share: 75.0%"), table);
        assertTrue(table.contains("= 57 GFLOP/s, 13% of the bf16 peak; the whole untraced step at 11 GFLOP/s"), table);
        assertTrue(!table.contains("note: a convolution ran faster"), table);

        List<MachinePeak> tooSmall = List.of(peaks.get(0), new MachinePeak(Precision.BF16, 64, "_MklMatMul", 0.01, 0.01));
        String noted = StepProfile.table(new StepProfile.Report(settings, runtime, tooSmall, trace,
                StepProfile.convolutionRows(trace, costs, 2), TimingStats.of(5), TimingStats.of(6), "now", 1));
        assertTrue(noted.contains("note: a convolution ran faster than the 64^3 product"), noted);
    }

    @ParameterizedTest
    @EnumSource(Compilation.class)
    void aTinyProfileHasEveryConvolutionOfTheStepWithPositiveTimesAndRates(Compilation compilation) throws Exception {
        StepProfile.Settings settings = StepProfile.Settings.of("94", NetworkSpec.preset("94").orElseThrow()
                .withWidths(List.of(8, 16, 16)), Precision.FP32, compilation)
                .withBatchSize(32).withThreads(1).withSteps(1, 1).withPeak(128, 1);
        StepProfile.Report report = StepProfile.measure(settings);
        // The step with the whitening bias trained: 7 forward convolutions; input and filter gradients of the 6 block
        // convolutions (the whitening filters are frozen and the images need no gradient).
        Map<ConvolutionCost.Kind, Long> kinds = report.convolutions().stream()
                .collect(Collectors.groupingBy(StepProfile.ConvolutionRow::kind, Collectors.counting()));
        assertEquals(Map.of(ConvolutionCost.Kind.FORWARD, 7L, ConvolutionCost.Kind.INPUT_GRADIENT, 6L,
                ConvolutionCost.Kind.FILTER_GRADIENT, 6L), kinds);
        String table = StepProfile.table(report);
        for (StepProfile.ConvolutionRow c : report.convolutions()) {
            assertTrue(c.micros() > 0, c.toString());
            assertTrue(c.flops() > 0 && c.gflops() > 0, c.toString());
            assertTrue(table.contains(c.node()), c.node() + " in\n" + table);
        }
        // Layers: a forward convolution's from its scope; the gradients', inferred, two of each per block.
        for (StepProfile.ConvolutionRow c : report.convolutions()) {
            if (c.kind() == ConvolutionCost.Kind.FORWARD) {
                assertEquals("net/" + c.layer() + "/", c.node().substring(0, c.node().indexOf('/', 4) + 1));
            }
        }
        Map<String, Long> gradientsPerLayer = report.convolutions().stream()
                .filter(c -> c.kind() != ConvolutionCost.Kind.FORWARD)
                .collect(Collectors.groupingBy(StepProfile.ConvolutionRow::layer, Collectors.counting()));
        assertEquals(Map.of("block1", 4L, "block2", 4L, "block3", 4L), gradientsPerLayer);
        assertTrue(table.contains("memory-bound share"), table);

        JsonNode root = new ObjectMapper().valueToTree(StepProfile.json(report));
        assertEquals(2, root.path("peaks").size());
        for (JsonNode peak : root.path("peaks")) {
            assertTrue(peak.path("gflops").asDouble() > 0, peak.toString());
        }
        List<String> kindsOfWork = new ArrayList<>();
        root.path("by_category").forEach(c -> kindsOfWork.add(c.path("key").asText()));
        assertTrue(kindsOfWork.containsAll(List.of("convolution", "memory bound")), kindsOfWork.toString());
        assertEquals(19, root.path("convolutions").size());
        assertTrue(root.at("/step/memory_bound_share").asDouble() > 0);
        assertTrue(root.at("/step/untraced_median_ms").asDouble() > 0);
        assertEquals(report.trace().nodes().size(), root.path("nodes").size());
    }

    /** The evaluation pass: the 7 forward convolutions of the network in inference mode, and no gradient. */
    @Test
    void aTinyEvaluationProfileHasTheForwardConvolutionsOnly() throws Exception {
        StepProfile.Settings settings = StepProfile.Settings.of("94", NetworkSpec.preset("94").orElseThrow()
                .withWidths(List.of(8, 16, 16)), Precision.FP32, Compilation.NONE)
                .withBatchSize(50).withThreads(1).withSteps(1, 1).withPeak(128, 1)
                .withRun(StepProfile.ProfiledRun.EVALUATION);
        StepProfile.Report report = StepProfile.measure(settings);
        Map<ConvolutionCost.Kind, Long> kinds = report.convolutions().stream()
                .collect(Collectors.groupingBy(StepProfile.ConvolutionRow::kind, Collectors.counting()));
        assertEquals(Map.of(ConvolutionCost.Kind.FORWARD, 7L), kinds);
        for (StepProfile.ConvolutionRow c : report.convolutions()) {
            assertTrue(c.micros() > 0 && c.flops() > 0, c.toString());
            assertEquals(50.0 * 2 * c.cost().output().size(1) * c.cost().output().size(2) * c.cost().output().size(3)
                    * c.cost().filter().size(0) * c.cost().filter().size(1) * c.cost().filter().size(2), c.flops(),
                    1e-6, "2 N Ho Wo Cout Kh Kw Cin of " + c.node());
        }
        assertTrue(StepProfile.table(report).contains("evaluation step"), StepProfile.table(report));
        JsonNode root = new ObjectMapper().valueToTree(StepProfile.json(report));
        assertEquals("evaluation pass (inference logits)", root.at("/settings/step").asText());
        assertEquals(50, root.at("/settings/batch_size").asInt());
    }
}

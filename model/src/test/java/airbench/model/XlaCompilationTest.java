package airbench.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.TensorFlow;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.OpDef;

/**
 * The XLA-compiled model against the plain one on a narrow network: same seed, same start, same
 * batches; and what the clustering marks.
 */
class XlaCompilationTest {
    private static final NetworkSpec NARROW = new NetworkSpec(List.of(8, 16, 16), 2, false, 0.6, 10);
    private static final int BATCH = 48;
    private static final OptimizerSpec OPTIMIZER = new OptimizerSpec(BATCH, 11.5, 0.85, 0.0153, 64);
    /**
     * Stated tolerance of the per-step summed losses: relative 1e-4 in float32. XLA evaluates the
     * same formulas with its own fusion order and its own erf/exp approximations, so the last bits
     * differ; over these six steps the measured relative difference is below 1e-7 (the max-pooling
     * gradient rewrite is exact).
     */
    private static final double LOSS_TOLERANCE = 1e-4;
    /**
     * With bfloat16 convolutions: relative 1e-3. A last-bit difference before a cast to bfloat16 can
     * flip a rounding of 2^-8, so differences grow faster; measured 3e-5 over the six steps.
     */
    private static final double BF16_LOSS_TOLERANCE = 1e-3;

    private static AirbenchModel plain;
    private static AirbenchModel compiled;
    private static float[] whitening;

    @BeforeAll
    static void build() {
        plain = new AirbenchModel(NARROW, Precision.FP32, OPTIMIZER, 2, Compilation.NONE);
        compiled = new AirbenchModel(NARROW, Precision.FP32, OPTIMIZER, 2, Compilation.XLA);
        Random random = new Random(1);
        whitening = new float[2 * 2 * 3 * NetworkSpec.WHITEN_WIDTH];
        for (int i = 0; i < whitening.length; i++) {
            whitening[i] = (float) random.nextGaussian() * 0.5f;
        }
    }

    @AfterAll
    static void close() {
        plain.close();
        compiled.close();
    }

    private static List<float[]> batches(int count, long seed) {
        Random random = new Random(seed);
        List<float[]> batches = new ArrayList<>();
        for (int b = 0; b < count; b++) {
            float[] images = new float[BATCH * 32 * 32 * 3];
            for (int i = 0; i < images.length; i++) {
                images[i] = (float) random.nextGaussian();
            }
            batches.add(images);
        }
        return batches;
    }

    private static int[] labels(long seed) {
        Random random = new Random(seed);
        int[] labels = new int[BATCH];
        for (int i = 0; i < BATCH; i++) {
            labels[i] = random.nextInt(10);
        }
        return labels;
    }

    /**
     * Six steps as the trainer takes them (rising learning rate, whitening bias frozen after three
     * steps, Lookahead in the fifth), on one fixed batch so that the loss visibly falls.
     */
    private static List<Double> train(AirbenchModel model) {
        model.initialize(whitening, 42);
        float[] images = batches(1, 7).get(0);
        int[] labels = labels(8);
        List<Double> losses = new ArrayList<>();
        for (int step = 0; step < 6; step++) {
            Double alpha = step == 4 ? 0.5 : null;
            losses.add(model.trainStep(images, labels, BATCH, 0.2 + 0.1 * step, step < 3, alpha).lossSum());
        }
        return losses;
    }

    @Test
    void compiledAndPlainTrainingsGiveTheSameLosses() {
        List<Double> expected = train(plain);
        List<Double> actual = train(compiled);
        for (int step = 0; step < expected.size(); step++) {
            double e = expected.get(step);
            double a = actual.get(step);
            assertEquals(e, a, LOSS_TOLERANCE * Math.abs(e), "step " + step + ": plain " + e + ", XLA " + a);
        }
        assertTrue(expected.get(5) < expected.get(0), "the steps should train: " + expected);

        float[] images = batches(1, 9).get(0);
        float[] plainLogits = plain.logits(images, BATCH);
        float[] compiledLogits = compiled.logits(images, BATCH);
        for (int i = 0; i < plainLogits.length; i++) {
            assertEquals(plainLogits[i], compiledLogits[i], 1e-4 + 1e-4 * Math.abs(plainLogits[i]), "logit " + i);
        }
        Map<String, float[]> plainState = plain.networkState();
        compiled.networkState().forEach((name, values) -> {
            float[] reference = plainState.get(name);
            for (int i = 0; i < values.length; i++) {
                assertEquals(reference[i], values[i], 1e-4 + 1e-3 * Math.abs(reference[i]), name + "[" + i + "]");
            }
        });
    }

    @Test
    void compiledAndPlainTrainingsAgreeWithBfloat16Convolutions() {
        try (AirbenchModel plainBf16 = new AirbenchModel(NARROW, Precision.BF16, OPTIMIZER, 2, Compilation.NONE);
             AirbenchModel compiledBf16 = new AirbenchModel(NARROW, Precision.BF16, OPTIMIZER, 2, Compilation.XLA)) {
            List<Double> expected = train(plainBf16);
            List<Double> actual = train(compiledBf16);
            for (int step = 0; step < expected.size(); step++) {
                double e = expected.get(step);
                double a = actual.get(step);
                assertEquals(e, a, BF16_LOSS_TOLERANCE * Math.abs(e), "step " + step + ": plain " + e + ", XLA " + a);
            }
        }
    }

    @Test
    void tensorFlowReportsCompiledClusters() {
        compiled.initialize(whitening, 1);
        compiled.trainStep(batches(1, 3).get(0), labels(4), BATCH, 1.0, true, null);
        XlaRunReport report = compiled.compileReports().get("train step");
        assertTrue(report != null && report.clusters() > 0, "no XLA cluster in the executed graph: " + report);
        assertTrue(plain.compileReports().isEmpty());
        assertEquals(0, plain.markedNodes());
        assertTrue(compiled.markedNodes() > 0);
    }

    /**
     * Checked against the op registry (not the code under test's own type test): no marked node is
     * stateful, has a reference-typed input or output argument, or consumes a node whose outputs are
     * references; and the selection is the documented one (GELU, loss and the rewritten max-pooling
     * gradients in; convolutions, BatchNorm, pooling, the optimizer and the running statistics out).
     */
    @Test
    void markingSkipsStateReferencesConvolutionsAndTheOptimizer() {
        for (Precision precision : Precision.values()) {
            try (Graph graph = new Graph()) {
                new TrainingGraph(graph, NARROW, precision, OPTIMIZER, LossSpec.AIRBENCH);
                XlaClustering.Marked marked = XlaClustering.mark(graph, XlaClustering.DEFAULT);
                GraphDef def = marked.graphDef();
                Map<String, OpDef> registry = new HashMap<>();
                TensorFlow.registeredOpList().getOpList().forEach(op -> registry.put(op.getName(), op));
                Map<String, NodeDef> byName = new HashMap<>();
                def.getNodeList().forEach(n -> byName.put(n.getName(), n));

                Set<String> markedTypes = new HashSet<>();
                int count = 0;
                for (NodeDef node : def.getNodeList()) {
                    if (!XlaClustering.isMarked(node)) {
                        continue;
                    }
                    count++;
                    markedTypes.add(node.getOp());
                    OpDef op = registry.get(node.getOp());
                    assertFalse(op.getIsStateful(), node.getName() + " is stateful");
                    assertFalse(hasReference(op), node.getName() + " has a reference argument");
                    assertEquals(XlaClustering.SCOPE, node.getAttrOrThrow(XlaClustering.SCOPE_ATTR).getS().toStringUtf8());
                    assertTrue(XlaClustering.COMPILED_SCOPES.stream().anyMatch(node.getName()::startsWith), node.getName());
                    assertFalse(node.getName().contains(AirbenchNetwork.RUNNING_STATS_SCOPE), node.getName());
                    for (String input : node.getInputList()) {
                        if (input.startsWith("^")) {
                            continue;
                        }
                        String producer = input.contains(":") ? input.substring(0, input.indexOf(':')) : input;
                        OpDef producerOp = registry.get(byName.get(producer).getOp());
                        assertFalse(producerOp.getOutputArgList().stream().anyMatch(OpDef.ArgDef::getIsRef),
                                node.getName() + " consumes the reference output of " + producer);
                    }
                }
                assertEquals(marked.markedNodes(), count);
                assertTrue(markedTypes.containsAll(Set.of("Erf", "Mul", "SoftmaxCrossEntropyWithLogits",
                        "StridedSlice", "SelectV2")), precision + ": " + markedTypes);
                for (String excluded : List.of("Conv2D", "Conv2DBackpropInput", "Conv2DBackpropFilter", "MatMul",
                        "MaxPoolV2", "FusedBatchNormV3", "FusedBatchNormGradV3", "VariableV2", "Assign",
                        "ApplyMomentum", "Placeholder")) {
                    assertFalse(markedTypes.contains(excluded), precision + ": " + excluded + " marked");
                }
                // every max-pooling gradient (three blocks and the final pooling) was replaced, in the
                // gradients of both training steps (whitening bias trained and frozen)
                assertEquals(0, def.getNodeList().stream().filter(n -> n.getOp().equals("MaxPoolGradV2")).count());
                for (String gradients : List.of("optimizer/Gradients/",
                        "optimizer/" + TrainingGraph.FROZEN_WHITENING_SCOPE + "/Gradients/")) {
                    assertEquals(4, def.getNodeList().stream()
                            .filter(n -> n.getName().startsWith(gradients))
                            .filter(n -> n.getName().endsWith("MaxPoolGradV2") || n.getName().matches(".*MaxPoolGradV2_\\d+"))
                            .filter(n -> n.getOp().equals("Identity") && XlaClustering.isMarked(n)).count(), gradients);
                }
                if (precision == Precision.BF16) {
                    assertTrue(markedTypes.contains("Cast"), "bf16 casts next to element-wise work should be fused");
                }
            }
        }
    }

    private static boolean hasReference(OpDef op) {
        return op.getInputArgList().stream().anyMatch(OpDef.ArgDef::getIsRef)
                || op.getOutputArgList().stream().anyMatch(OpDef.ArgDef::getIsRef);
    }
}

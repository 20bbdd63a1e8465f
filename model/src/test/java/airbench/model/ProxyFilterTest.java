package airbench.model;

import static airbench.model.TinyModels.whitening;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * The proxy-filtered step of 96faster on narrow networks, each behaviour checked against an
 * independent computation: the proxy alone in a graph of its own (per-example losses and the
 * gradient of a masked loss, with the selection done in Java), and the plain main network trained on
 * the images Java picked.
 */
class ProxyFilterTest {
    private static final NetworkSpec MAIN = new NetworkSpec(List.of(8, 16, 16), 3, true, 0.9, 10);
    private static final NetworkSpec PROXY = new NetworkSpec(List.of(8, 8, 8), 2, false, 0.9, 10);
    private static final int N = 64;
    private static final ProxyFilterSpec FILTER = new ProxyFilterSpec(PROXY, 24, 4);
    private static final OptimizerSpec OPTIMIZER = new OptimizerSpec(N, 9.0, 0.85, 0.012, 64);
    private static final String P = "proxy/";

    private static AirbenchModel model;
    private static float[] images;
    private static int[] labels;

    @BeforeAll
    static void build() {
        model = new AirbenchModel(MAIN, Precision.FP32, OPTIMIZER, 2, Compilation.NONE, FILTER);
        TinyModels.Batch batch = TinyModels.randomBatch(N, 15);
        images = batch.images();
        labels = batch.labels();
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private static List<String> proxyTrainedNames() {
        List<String> names = new ArrayList<>();
        for (int b = 1; b <= 3; b++) {
            for (int c = 1; c <= 2; c++) {
                names.add(P + "block" + b + "/conv" + c + "/kernel");
                names.add(P + "block" + b + "/norm" + c + "/shift");
            }
        }
        names.add(P + "head/kernel");
        return names;
    }

    @Test
    void initializationGivesTheMainNetworkItsUsualStartAndTheProxyItsOwnVariables() {
        model.initialize(whitening(), 3);
        Map<String, float[]> state = model.state();
        try (AirbenchModel plain = new AirbenchModel(MAIN, Precision.FP32, OPTIMIZER, 2)) {
            plain.initialize(whitening(), 3);
            Map<String, float[]> plainState = plain.state();
            plainState.forEach((name, values) -> assertArrayEquals(values, state.get(name), name));
            assertEquals(plain.networkState().keySet(), model.networkState().keySet(),
                    "the exported network is the main one alone");
        }
        assertArrayEquals(whitening(), state.get(P + "whiten/kernel"), "the proxy's whitening from the same images");
        assertArrayEquals(new float[24], state.get(P + "whiten/bias"));
        float[] ones = new float[8];
        Arrays.fill(ones, 1f);
        assertArrayEquals(ones, state.get(P + "block3/norm2/variance"));
        assertArrayEquals(new float[8 * 10], state.get(P + "momentum/head/kernel"));
        assertFalse(state.containsKey(P + "lookahead/head/kernel"), "the proxy has no Lookahead");
        assertFalse(state.containsKey(P + "momentum/whiten/bias"), "the proxy's whitening bias never trains");
        assertTrue(model.networkState().keySet().stream().noneMatch(k -> k.startsWith(P)));
        // Its own random draws: block2/conv1 (8 -> 8) is all identity, block1/conv1 (24 -> 8) all identity too,
        // so compare the head, drawn after the main network's.
        assertFalse(Arrays.equals(Arrays.copyOf(state.get("head/kernel"), 80), state.get(P + "head/kernel")));
    }

    @Test
    void theKeptExamplesAreTheTopKOfTheProxysOwnLossAndItsStepFollowsTheirSummedLoss() {
        model.initialize(whitening(), 4);
        Map<String, float[]> before = model.state();
        double s = 0.6;
        AirbenchModel.FilteredStepResult r = model.trainFilteredStep(images, labels, N, s, s, true, null, true);
        Map<String, float[]> after = model.state();

        try (ProxyAlone alone = new ProxyAlone()) {
            float[] losses = alone.perExampleLosses(before);
            Integer[] byLoss = IntStream.range(0, N).boxed().toArray(Integer[]::new);
            Arrays.sort(byLoss, Comparator.comparingDouble(i -> -losses[i]));
            int keep = FILTER.keep();
            double gap = losses[byLoss[keep - 1]] - losses[byLoss[keep]];
            assertTrue(gap > 1e-4, "the test needs a clear boundary between kept and dropped, got " + gap);
            int[] expected = Arrays.stream(byLoss, 0, keep).mapToInt(Integer::intValue).sorted().toArray();
            assertArrayEquals(expected, r.selected(), "the kept examples, in batch order");

            double total = 0;
            double kept = 0;
            float[] mask = new float[N];
            for (int i = 0; i < N; i++) {
                total += losses[i];
            }
            for (int i : expected) {
                kept += losses[i];
                mask[i] = 1f;
            }
            assertEquals(total, r.proxyLossSum(), 1e-4 * total);
            assertEquals(kept, r.proxyKeptLossSum(), 1e-4 * kept);

            // The proxy's first step (zero momentum): p - s lr (1 + mu) (g + (wd / lr) p), g the gradient of the
            // masked sum with batch statistics over the whole batch.
            Map<String, float[]> gradients = alone.maskedLossGradients(before, mask);
            for (String name : proxyTrainedNames()) {
                double lr = name.contains("/norm") ? OPTIMIZER.biasLearningRate() : OPTIMIZER.learningRate();
                double wd = OPTIMIZER.weightDecay();
                float[] p = before.get(name);
                float[] g = gradients.get(name.substring(P.length()));
                float[] expectedValue = new float[p.length];
                float largest = 0;
                for (int i = 0; i < p.length; i++) {
                    double decayed = g[i] + wd / lr * p[i];
                    expectedValue[i] = (float) (p[i] - s * lr * (1 + OPTIMIZER.momentum()) * decayed);
                    largest = Math.max(largest, Math.abs(expectedValue[i] - p[i]));
                }
                assertTrue(largest > 0, name + " should move");
                assertArrayEquals(expectedValue, after.get(name), 1e-3f * largest + 1e-7f, name);
            }
        }
        assertArrayEquals(before.get(P + "whiten/bias"), after.get(P + "whiten/bias"), "never trains");
        assertArrayEquals(before.get(P + "whiten/kernel"), after.get(P + "whiten/kernel"));
    }

    @Test
    void theProxyStepsOnlyEveryFourthStepAndItsStatisticsMoveEveryStep() {
        model.initialize(whitening(), 5);
        for (int step = 0; step <= 8; step++) {
            Map<String, float[]> before = model.state();
            model.trainFilteredStep(images, labels, N, 1.0, 1.0, true, null, FILTER.proxySteps(step));
            Map<String, float[]> after = model.state();
            boolean proxyStep = step % 4 == 0;
            for (String name : proxyTrainedNames()) {
                assertEquals(proxyStep, !Arrays.equals(before.get(name), after.get(name)), name + " at step " + step);
                String buffer = P + "momentum/" + name.substring(P.length());
                assertEquals(proxyStep, !Arrays.equals(before.get(buffer), after.get(buffer)), buffer + " at step " + step);
            }
            for (String stat : List.of("block1/norm1/mean", "block3/norm2/variance")) {
                assertFalse(Arrays.equals(before.get(P + stat), after.get(P + stat)), stat + " moves at step " + step);
            }
            assertFalse(Arrays.equals(before.get("head/kernel"), after.get("head/kernel")), "the main network trains");
        }
    }

    @Test
    void theMainStepIsThePlainStepOnTheKeptImages() {
        try (AirbenchModel plain = new AirbenchModel(MAIN, Precision.FP32, OPTIMIZER, 2)) {
            model.initialize(whitening(), 6);
            model.trainFilteredStep(images, labels, N, 1.0, 1.0, true, null, true);  // momentum everywhere
            Map<String, float[]> start = model.state();
            Map<String, float[]> mainStart = new LinkedHashMap<>(start);
            mainStart.keySet().removeIf(k -> k.startsWith(P));
            AirbenchModel.FilteredStepResult r = model.trainFilteredStep(images, labels, N, 0.7, 0.7, true, 0.3,
                    false);

            int keep = FILTER.keep();
            int size = 32 * 32 * 3;
            float[] keptImages = new float[keep * size];
            int[] keptLabels = new int[keep];
            for (int j = 0; j < keep; j++) {
                System.arraycopy(images, r.selected()[j] * size, keptImages, j * size, size);
                keptLabels[j] = labels[r.selected()[j]];
            }
            plain.loadState(mainStart);
            AirbenchModel.StepResult expected = plain.trainStep(keptImages, keptLabels, keep, 0.7, 0.7, true, 0.3);
            assertEquals(expected.lossSum(), r.main().lossSum(), 1e-6 * expected.lossSum());
            assertEquals(expected.correct(), r.main().correct());
            Map<String, float[]> filtered = model.state();
            plain.state().forEach((name, values) -> assertArrayEquals(values, filtered.get(name), 1e-6f, name));

            // ... and not the step on other images: the dropped examples move the head elsewhere.
            int[] dropped = IntStream.range(0, N).filter(i -> Arrays.binarySearch(r.selected(), i) < 0).limit(keep)
                    .toArray();
            for (int j = 0; j < keep; j++) {
                System.arraycopy(images, dropped[j] * size, keptImages, j * size, size);
                keptLabels[j] = labels[dropped[j]];
            }
            plain.loadState(mainStart);
            plain.trainStep(keptImages, keptLabels, keep, 0.7, 0.7, true, 0.3);
            float[] otherHead = plain.state().get("head/kernel");
            float[] head = filtered.get("head/kernel");
            double difference = 0;
            for (int i = 0; i < head.length; i++) {
                difference = Math.max(difference, Math.abs(head[i] - otherHead[i]));
            }
            assertTrue(difference > 1e-4, "the dropped examples should give another step, differing by " + difference);
        }
    }

    @Test
    void compiledWithXlaTheFilteredStepGivesTheSameResults() {
        try (AirbenchModel compiled = new AirbenchModel(MAIN, Precision.FP32, OPTIMIZER, 2, Compilation.XLA, FILTER)) {
            model.initialize(whitening(), 7);
            compiled.initialize(whitening(), 7);
            for (int step = 0; step < 3; step++) {
                AirbenchModel.FilteredStepResult a = model.trainFilteredStep(images, labels, N, 1.0, 1.0, true,
                        null, step == 0);
                AirbenchModel.FilteredStepResult b = compiled.trainFilteredStep(images, labels, N, 1.0, 1.0, true,
                        null, step == 0);
                assertEquals(a.main().lossSum(), b.main().lossSum(), 1e-3 * a.main().lossSum(), "step " + step);
                assertEquals(a.proxyLossSum(), b.proxyLossSum(), 1e-3 * a.proxyLossSum(), "step " + step);
            }
            assertTrue(compiled.markedNodes() > 0);
            assertTrue(compiled.compileReports().values().stream().anyMatch(rep -> rep.clusters() > 0),
                    "some clusters were compiled: " + compiled.compileReports());
        }
    }

    @Test
    void misuseIsRefusedWithAReason() {
        IllegalArgumentException small = assertThrows(IllegalArgumentException.class,
                () -> model.trainFilteredStep(images, labels, 16, 1.0, 1.0, true, null, true));
        assertTrue(small.getMessage().contains("16") && small.getMessage().contains("24"), small.getMessage());
        assertThrows(IllegalStateException.class, () -> model.trainStep(images, labels, N, 1.0, true, null));
        try (AirbenchModel plain = new AirbenchModel(MAIN, Precision.FP32, OPTIMIZER, 2)) {
            assertThrows(IllegalStateException.class,
                    () -> plain.trainFilteredStep(images, labels, N, 1.0, 1.0, true, null, true));
        }
        assertThrows(IllegalArgumentException.class, () -> new ProxyFilterSpec(PROXY, 0, 4));
        assertThrows(IllegalArgumentException.class, () -> new ProxyFilterSpec(PROXY, 512, 0));
        assertEquals(256, ProxyFilterSpec.AIRBENCH96_FASTER.forBatchSize(1024, 512).keep());
        assertEquals(List.of(true, false, false, false, true), IntStream.range(0, 5)
                .mapToObj(ProxyFilterSpec.AIRBENCH96_FASTER::proxySteps).toList());
    }

    /**
     * The proxy network alone in a graph of its own: training-mode per-example losses, and the
     * gradient of {@code sum(mask * loss)}, from the proxy's variables in a filtered model's state.
     */
    private static final class ProxyAlone implements AutoCloseable {
        private final Graph graph = new Graph();
        private final Session session = new Session(graph);
        private final AirbenchNetwork network;
        private final Placeholder<TFloat32> input;
        private final Placeholder<TInt32> targets;
        private final Placeholder<TFloat32> mask;
        private final Operand<TFloat32> perExample;
        private final List<StateVariable> trained;
        private final List<Operand<?>> gradients = new ArrayList<>();

        ProxyAlone() {
            Ops tf = Ops.create(graph);
            network = new AirbenchNetwork(tf.withSubScope("net"), new StateVariable.Factory(tf), PROXY, Precision.FP32);
            input = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(N, 32, 32, 3)));
            targets = tf.placeholder(TInt32.class, Placeholder.shape(Shape.of(N)));
            mask = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(N)));
            perExample = TrainingGraph.smoothedCrossEntropy(tf, network.forward(input, AirbenchNetwork.Mode.TRAINING)
                    .logits(), targets, 10, (float) LossSpec.AIRBENCH.labelSmoothing());
            Operand<TFloat32> masked = tf.reduceSum(tf.math.mul(perExample, mask), tf.constant(0));
            trained = new ArrayList<>(network.blockConvs());
            trained.add(network.head());
            trained.addAll(network.normShifts());
            tf.gradients(masked, trained.stream().<Operand<?>>map(StateVariable::variable).toList())
                    .forEach(gradients::add);
        }

        float[] perExampleLosses(Map<String, float[]> filteredState) {
            try (Result result = runner(filteredState, new float[N]).fetch(perExample).run()) {
                float[] losses = new float[N];
                ((TFloat32) result.get(0)).copyTo(DataBuffers.of(losses, false, false));
                return losses;
            }
        }

        /** By the proxy's variable names without the {@code proxy/} prefix. */
        Map<String, float[]> maskedLossGradients(Map<String, float[]> filteredState, float[] maskValues) {
            Session.Runner runner = runner(filteredState, maskValues);
            gradients.forEach(runner::fetch);
            Map<String, float[]> out = new LinkedHashMap<>();
            try (Result result = runner.run()) {
                for (int i = 0; i < trained.size(); i++) {
                    float[] values = new float[trained.get(i).size()];
                    ((TFloat32) result.get(i)).copyTo(DataBuffers.of(values, false, false));
                    out.put(trained.get(i).name(), values);
                }
            }
            return out;
        }

        private final List<Tensor> open = new ArrayList<>();

        private Session.Runner runner(Map<String, float[]> filteredState, float[] maskValues) {
            Session.Runner load = session.runner();
            for (StateVariable v : network.variables()) {
                TFloat32 t = TFloat32.tensorOf(v.shape(), DataBuffers.of(filteredState.get(P + v.name()), true, false));
                open.add(t);
                load.feed(v.feed(), t).addTarget(v.load());
            }
            load.run();
            TFloat32 x = TFloat32.tensorOf(Shape.of(N, 32, 32, 3), DataBuffers.of(images, true, false));
            TInt32 y = TInt32.tensorOf(Shape.of(N), DataBuffers.of(labels, true, false));
            TFloat32 m = TFloat32.tensorOf(Shape.of(N), DataBuffers.of(maskValues, true, false));
            open.addAll(List.of(x, y, m));
            return session.runner().feed(input, x).feed(targets, y).feed(mask, m);
        }

        @Override
        public void close() {
            open.forEach(Tensor::close);
            session.close();
            graph.close();
        }
    }
}

package airbench.model;

import static airbench.model.TinyModels.whitening;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Graph behaviour on a narrow network, checked against values computed in Java. */
class AirbenchModelTest {
    private static final NetworkSpec NARROW = new NetworkSpec(List.of(8, 16, 16), 2, false, 0.6, 10);
    private static final OptimizerSpec OPTIMIZER = new OptimizerSpec(32, 11.5, 0.85, 0.0153, 64);
    private static AirbenchModel model;
    private static float[] images;
    private static int[] labels;

    @BeforeAll
    static void build() {
        model = new AirbenchModel(NARROW, Precision.FP32, OPTIMIZER, 2);
        TinyModels.Batch batch = TinyModels.randomBatch(32, 5);
        images = batch.images();
        labels = batch.labels();
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void initializationFollowsTheMethod() {
        model.initialize(whitening(), 3);
        Map<String, float[]> state = model.state();
        assertArrayEquals(whitening(), state.get("whiten/kernel"));
        assertArrayEquals(new float[24], state.get("whiten/bias"));
        assertArrayEquals(new float[8], state.get("block1/norm1/shift"));
        assertArrayEquals(new float[8], state.get("block1/norm1/mean"));
        float[] ones = new float[8];
        java.util.Arrays.fill(ones, 1f);
        assertArrayEquals(ones, state.get("block1/norm1/variance"));
        assertArrayEquals(state.get("block2/conv1/kernel"), state.get("lookahead/block2/conv1/kernel"));
        assertArrayEquals(new float[state.get("head/kernel").length], state.get("momentum/head/kernel"));
        // block2/conv2 is 16 -> 16: every filter is the identity (Dirac init)
        float[] conv = state.get("block2/conv2/kernel");
        assertEquals(1f, conv[((1 * 3 + 1) * 16 + 5) * 16 + 5]);
        assertEquals(0f, conv[((1 * 3 + 1) * 16 + 4) * 16 + 5]);
    }

    /**
     * hlb's start (docs/METHOD.md section 13): each block's first conv is its fan-in uniform draw with the identity
     * added and renormalized, redrawn here in the model's order (the block convs, then the head) from the seed;
     * every second conv is the exact identity.
     */
    @Test
    void hlbInitAddsTheIdentityToEachFirstConvAndStartsEverySecondConvAsTheIdentity() {
        NetworkSpec spec = NARROW.withFirstConvIdentity(IdentityInit.ADD_AND_RENORMALIZE);
        try (AirbenchModel hlb = new AirbenchModel(spec, Precision.FP32, OPTIMIZER, 2)) {
            hlb.initialize(whitening(), 9);
            Map<String, float[]> state = hlb.state();
            java.util.SplittableRandom random = new java.util.SplittableRandom(9);
            int in = 24;
            for (int b = 1; b <= 3; b++) {
                int width = spec.widths().get(b - 1);
                float[] first = ParameterInit.uniformFanIn(3, 3, in, width, random);
                ParameterInit.addIdentityRenormalized(first, 3, 3, in, width);
                assertArrayEquals(first, state.get("block" + b + "/conv1/kernel"), "block" + b + "/conv1");
                ParameterInit.uniformFanIn(3, 3, width, width, random);  // the second conv's draw, then replaced
                float[] second = state.get("block" + b + "/conv2/kernel");
                for (int k = 0; k < second.length; k++) {
                    int o = k % width;
                    int i = (k / width) % width;
                    int centre = k / (width * width);
                    assertEquals(centre == 4 && i == o ? 1f : 0f, second[k], "block" + b + "/conv2 value " + k);
                }
                in = width;
            }
        }
    }

    /** Lookahead's snapshot (hlb's start): a blend with a = 0 makes the slow copy the fast weights, bit for bit. */
    @Test
    void aBlendWithZeroTakesTheSlowCopyFromTheFastWeightsAndLeavesMomentum() {
        model.initialize(whitening(), 6);
        model.trainStep(images, labels, 32, 1.0, true, null);
        model.trainStep(images, labels, 32, 1.0, true, null);
        Map<String, float[]> before = model.state();
        model.lookahead(0.0);
        Map<String, float[]> after = model.state();
        int copies = 0;
        for (String name : after.keySet()) {
            if (name.startsWith("lookahead/")) {
                String fast = name.substring("lookahead/".length());
                assertArrayEquals(before.get(fast), after.get(name), name + " is the fast weights");
                assertTrue(!java.util.Arrays.equals(before.get(name), after.get(name)) || fast.startsWith("whiten/"),
                        name + " changed");
                copies++;
            } else {
                assertArrayEquals(before.get(name), after.get(name), name + " untouched");
            }
        }
        assertTrue(copies > 0);
    }

    @Test
    void sameSeedGivesSameStartDifferentSeedDoesNot() {
        // block1/conv1 (24 -> 8) is all identity filters; block2/conv1 (8 -> 16) has 8 random ones.
        model.initialize(whitening(), 11);
        float[] a = model.state().get("block2/conv1/kernel");
        model.initialize(whitening(), 11);
        assertArrayEquals(a, model.state().get("block2/conv1/kernel"));
        model.initialize(whitening(), 12);
        assertTrue(!java.util.Arrays.equals(a, model.state().get("block2/conv1/kernel")));
    }

    /** Memory 0.6 (airbench94/95); {@link RunningStatsCheck} derives the expected values. */
    @Test
    void runningStatisticsUseMemorySixTenthsAndZeroLrLeavesWeights() {
        model.initialize(whitening(), 4);
        RunningStatsCheck.assertTwoStepsUseMemory(model, images, labels, 32, "block1/conv1/kernel",
                List.of("block1/norm1", "block3/norm2"), 0.6);
    }

    @Test
    void lookaheadBlendsEveryFloatStateAndCopiesBack() {
        model.initialize(whitening(), 5);
        model.trainStep(images, labels, 32, 1.0, true, null);
        model.trainStep(images, labels, 32, 1.0, true, null);
        Map<String, float[]> before = model.state();
        double alpha = 0.3;
        model.lookahead(alpha);
        Map<String, float[]> after = model.state();
        for (String name : List.of("head/kernel", "whiten/bias", "block2/norm1/shift", "block2/norm1/variance")) {
            float[] fast = before.get(name);
            float[] slow = before.get("lookahead/" + name);
            float[] expected = new float[fast.length];
            for (int i = 0; i < fast.length; i++) {
                expected[i] = (float) (alpha * slow[i] + (1 - alpha) * fast[i]);
            }
            assertArrayEquals(expected, after.get("lookahead/" + name), 1e-6f, name);
            assertArrayEquals(expected, after.get(name), 1e-6f, name);
        }
    }

    @Test
    void frozenWhiteningBiasDoesNotMoveButOtherWeightsDo() {
        model.initialize(whitening(), 6);
        Map<String, float[]> before = model.state();
        model.trainStep(images, labels, 32, 1.0, false, null);
        Map<String, float[]> after = model.state();
        assertArrayEquals(before.get("whiten/bias"), after.get("whiten/bias"));
        assertTrue(!java.util.Arrays.equals(before.get("head/kernel"), after.get("head/kernel")));
        model.trainStep(images, labels, 32, 1.0, true, null);
        assertTrue(!java.util.Arrays.equals(after.get("whiten/bias"), model.state().get("whiten/bias")));
    }

    /**
     * The step that runs once the whitening bias is frozen leaves out its gradient. Independent
     * check: from the same state and batch, every other variable (weights, shifts, momentum buffers,
     * running statistics, Lookahead copies) gets exactly what the full step gives it, and the whitening
     * bias stays where it was, with and without the Lookahead blend.
     */
    @Test
    void frozenWhiteningStepGivesEveryOtherVariableTheFullStepsUpdate() {
        for (Double alpha : new Double[] {null, 0.4}) {
            model.initialize(whitening(), 8);
            model.trainStep(images, labels, 32, 1.0, true, null);  // non-zero momentum everywhere
            Map<String, float[]> start = model.state();
            model.trainStep(images, labels, 32, 0.7, true, alpha);
            Map<String, float[]> full = model.state();
            model.loadState(start);
            model.trainStep(images, labels, 32, 0.7, false, alpha);
            Map<String, float[]> frozen = model.state();
            for (String name : start.keySet()) {
                if (name.equals("whiten/bias") || name.equals("momentum/whiten/bias")) {
                    continue;
                }
                if (name.equals("lookahead/whiten/bias")) {
                    // blended with the unchanged bias instead of the updated one
                    continue;
                }
                assertArrayEquals(full.get(name), frozen.get(name), 1e-6f, name + ", lookahead " + alpha);
            }
            if (alpha == null) {
                assertArrayEquals(start.get("whiten/bias"), frozen.get("whiten/bias"));
            }
            assertTrue(!java.util.Arrays.equals(full.get("whiten/bias"), frozen.get("whiten/bias")),
                    "the full step moves the whitening bias");
            assertTrue(!java.util.Arrays.equals(start.get("head/kernel"), frozen.get("head/kernel")));
        }
    }

    @Test
    void inferenceLogitsHaveOneRowPerImageAndDoNotDependOnBatchMates() {
        model.initialize(whitening(), 7);
        model.trainStep(images, labels, 32, 1.0, true, null);
        float[] all = model.logits(images, 32);
        assertEquals(32 * 10, all.length);
        float[] firstFour = model.logits(images, 4);
        assertArrayEquals(java.util.Arrays.copyOf(all, 40), firstFour, 1e-4f);
    }

    @Test
    void loadingAWrongSizeOrUnknownNameIsRefused() {
        IllegalArgumentException size = assertThrows(IllegalArgumentException.class,
                () -> model.loadState(Map.of("head/kernel", new float[3])));
        assertTrue(size.getMessage().contains("head/kernel") && size.getMessage().contains("3 values"), size.getMessage());
        IllegalArgumentException name = assertThrows(IllegalArgumentException.class,
                () -> model.loadState(Map.of("nope", new float[3])));
        assertTrue(name.getMessage().contains("nope"), name.getMessage());
    }

    @Test
    void trainingReducesTheLossOnAFixedBatch() {
        model.initialize(whitening(), 8);
        double first = model.trainStep(images, labels, 32, 1.0, true, null).lossSum();
        double last = first;
        for (int i = 0; i < 40; i++) {
            last = model.trainStep(images, labels, 32, 1.0, true, null).lossSum();
        }
        assertTrue(last < 0.8 * first, "loss should fall when fitting one batch: " + first + " -> " + last);
    }
}

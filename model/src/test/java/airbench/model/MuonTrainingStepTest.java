package airbench.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The 94muon training step of a narrow network: which group moves with which multiplier, and how. */
class MuonTrainingStepTest {
    private static final NetworkSpec NARROW_MUON = new NetworkSpec(List.of(8, 16, 16), 2, false, 0.6, 10,
            HeadScale.INPUT_WIDTH);
    private static final int BATCH = 8;

    @Test
    void groupsFollowTheirOwnMultipliersAndFiltersAreRenormalized() {
        Random random = new Random(2);
        float[] images = new float[BATCH * 32 * 32 * 3];
        for (int i = 0; i < images.length; i++) {
            images[i] = (float) random.nextGaussian();
        }
        int[] labels = random.ints(BATCH, 0, 10).toArray();
        float[] whitening = new float[2 * 2 * 3 * 24];
        for (int i = 0; i < whitening.length; i++) {
            whitening[i] = (float) random.nextGaussian() * 0.5f;
        }
        try (AirbenchModel model = new AirbenchModel(NARROW_MUON, Precision.FP32,
                MuonSpec.AIRBENCH94_MUON.withBatchSize(BATCH), 2)) {
            model.initialize(whitening, 1);
            Map<String, float[]> start = model.state();
            assertTrue(start.keySet().stream().noneMatch(k -> k.startsWith("lookahead/")), "no Lookahead copies");
            assertTrue(start.containsKey("momentum/block3/conv2/kernel"), "Muon's buffer is checkpointed state");

            // s = 0 everywhere: nothing takes a step, but Muon renormalizes every filter to norm sqrt(out).
            model.trainStep(images, labels, BATCH, 0, 0, true, null);
            Map<String, float[]> first = model.state();
            for (String name : List.of("whiten/bias", "head/kernel", "block2/norm1/shift")) {
                assertArrayEquals(start.get(name), first.get(name), name + " moved with a zero multiplier");
            }
            for (String conv : List.of("block1/conv1/kernel", "block2/conv2/kernel", "block3/conv1/kernel")) {
                float[] w0 = start.get(conv);
                long out = model.stateShapes().get(conv).get(3);   // HWIO: filters are the last dimension
                double norm = Math.sqrt(Arrays.stream(toDouble(w0)).map(v -> v * v).sum());
                float[] w1 = first.get(conv);
                for (int i = 0; i < w0.length; i++) {
                    assertEquals(w0[i] * Math.sqrt(out) / norm, w1[i], 1e-6, conv + " element " + i);
                }
                assertFalse(Arrays.equals(new float[w0.length], first.get("momentum/" + conv)), conv + " buffer");
            }

            // Only the whitening bias's multiplier on: only it moves among the SGD groups.
            model.trainStep(images, labels, BATCH, 0, 1, true, null);
            Map<String, float[]> second = model.state();
            assertFalse(Arrays.equals(first.get("whiten/bias"), second.get("whiten/bias")), "whitening bias stood still");
            assertArrayEquals(first.get("head/kernel"), second.get("head/kernel"));

            // Main multiplier on, whitening bias frozen: everything else moves, the bias and its buffer do not.
            model.trainStep(images, labels, BATCH, 1, 1, false, null);
            Map<String, float[]> third = model.state();
            assertArrayEquals(second.get("whiten/bias"), third.get("whiten/bias"));
            assertArrayEquals(second.get("momentum/whiten/bias"), third.get("momentum/whiten/bias"));
            assertFalse(Arrays.equals(second.get("head/kernel"), third.get("head/kernel")), "head stood still");
            assertFalse(Arrays.equals(second.get("block3/conv2/kernel"), third.get("block3/conv2/kernel")));
        }
    }

    private static double[] toDouble(float[] values) {
        double[] d = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            d[i] = values[i];
        }
        return d;
    }
}

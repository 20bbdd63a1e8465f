package airbench.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The 94muon head: output divided by its input width, weight initialized to standard deviation 1. */
class HeadScaleTest {
    private static final NetworkSpec NARROW = new NetworkSpec(List.of(8, 16, 16), 2, false, 0.6, 10);
    private static final NetworkSpec NARROW_MUON = new NetworkSpec(List.of(8, 16, 16), 2, false, 0.6, 10,
            HeadScale.INPUT_WIDTH);

    @Test
    void unitStdInitIsTheUniformInitRescaledToStandardDeviationOne() {
        float[] uniform = ParameterInit.uniformFanIn(1, 1, 256, 10, new SplittableRandom(5));
        float[] head = ParameterInit.head(256, 10, HeadScale.INPUT_WIDTH, new SplittableRandom(5));
        // PyTorch's Tensor.std(), unbiased, written out here
        double mean = 0;
        for (float v : head) {
            mean += v;
        }
        mean /= head.length;
        double squares = 0;
        for (float v : head) {
            squares += (v - mean) * (v - mean);
        }
        assertEquals(1.0, Math.sqrt(squares / (head.length - 1)), 1e-6);
        // same direction as the uniform draw: one common factor, about sqrt(3 * 256) for U(+-1/16)
        double factor = head[0] / uniform[0];
        assertEquals(Math.sqrt(3 * 256), factor, 0.05 * Math.sqrt(3 * 256));
        for (int i = 0; i < head.length; i++) {
            assertEquals(factor * uniform[i], head[i], 1e-5 * Math.abs(factor), "element " + i);
        }
        // the 1/9 head keeps the plain uniform init
        assertArrayEquals(uniform, ParameterInit.head(256, 10, HeadScale.NINTH, new SplittableRandom(5)));
    }

    @Test
    void headFactorIsOneNinthOrOneOverTheWidth() {
        assertEquals(1f / 9f, HeadScale.NINTH.factor(256));
        assertEquals(1f / 256f, HeadScale.INPUT_WIDTH.factor(256));
        assertEquals(HeadScale.INPUT_WIDTH, NetworkSpec.AIRBENCH94_MUON.head());
        assertEquals(HeadScale.NINTH, NetworkSpec.AIRBENCH94.head());
        assertEquals(NetworkSpec.AIRBENCH94.widths(), NetworkSpec.AIRBENCH94_MUON.widths());
        assertEquals(NetworkSpec.AIRBENCH94.batchNormMemory(), NetworkSpec.AIRBENCH94_MUON.batchNormMemory());
    }

    /** Same weights in both networks: the width-scaled logits are the 1/9 logits times 9 / 16. */
    @Test
    void logitsOfTheWidthScaledHeadAreDividedByTheWidth() {
        Random random = new Random(8);
        float[] images = new float[4 * 32 * 32 * 3];
        for (int i = 0; i < images.length; i++) {
            images[i] = (float) random.nextGaussian();
        }
        float[] whitening = new float[2 * 2 * 3 * 24];
        for (int i = 0; i < whitening.length; i++) {
            whitening[i] = (float) random.nextGaussian() * 0.5f;
        }
        OptimizerSpec optimizer = new OptimizerSpec(4, 11.5, 0.85, 0.0153, 64);
        try (AirbenchModel ninth = new AirbenchModel(NARROW, Precision.FP32, optimizer, 2);
             AirbenchModel width = new AirbenchModel(NARROW_MUON, Precision.FP32, MuonSpec.AIRBENCH94_MUON, 2)) {
            width.initialize(whitening, 4);
            float[] head = width.state().get("head/kernel");
            double mean = 0;
            for (float v : head) {
                mean += v / head.length;
            }
            double squares = 0;
            for (float v : head) {
                squares += (v - mean) * (v - mean);
            }
            assertEquals(1.0, Math.sqrt(squares / (head.length - 1)), 1e-5, "initialized head std");

            ninth.initialize(whitening, 4);
            ninth.loadState(width.networkState());
            float[] a = ninth.logits(images, 4);
            float[] b = width.logits(images, 4);
            for (int i = 0; i < a.length; i++) {
                assertEquals(a[i] * 9.0 / 16.0, b[i], 1e-5 * Math.max(1, Math.abs(b[i])), "logit " + i);
            }
        }
    }
}

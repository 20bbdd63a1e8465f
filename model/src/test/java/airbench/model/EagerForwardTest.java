package airbench.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The eager forward pass computes the graph's inference logits from the same weights. */
class EagerForwardTest {
    private static final NetworkSpec NARROW = new NetworkSpec(List.of(8, 16, 16), 2, false, 0.6, 10);
    private static final OptimizerSpec OPTIMIZER = new OptimizerSpec(16, 11.5, 0.85, 0.0153, 64);

    @ParameterizedTest
    @EnumSource(Precision.class)
    void eagerLogitsMatchTheGraph(Precision precision) {
        Random random = new Random(3);
        float[] whitening = new float[2 * 2 * 3 * NetworkSpec.WHITEN_WIDTH];
        for (int i = 0; i < whitening.length; i++) {
            whitening[i] = (float) random.nextGaussian() * 0.5f;
        }
        float[] images = new float[16 * 32 * 32 * 3];
        for (int i = 0; i < images.length; i++) {
            images[i] = (float) random.nextGaussian();
        }
        int[] labels = new int[16];
        try (AirbenchModel model = new AirbenchModel(NARROW, precision, OPTIMIZER, 1)) {
            model.initialize(whitening, 5);
            // one step, so that BatchNorm shifts and running statistics are not at their initial values
            model.trainStep(images, labels, 16, 1.0, true, null);
            float[] graph = model.logits(images, 16);
            EagerForward eager = new EagerForward(NARROW, precision, model.networkState(), 1);
            float[] eagerLogits = eager.logits(images, 16);
            assertEquals(graph.length, eagerLogits.length);
            // bf16 rounding of the convolution inputs differs between the eager and the graph kernels
            double tolerance = precision == Precision.FP32 ? 1e-4 : 2e-2;
            for (int i = 0; i < graph.length; i++) {
                assertEquals(graph[i], eagerLogits[i], tolerance * (1 + Math.abs(graph[i])), precision + " logit " + i);
            }
            Map<String, float[]> partial = new HashMap<>(model.networkState());
            partial.remove("head/kernel");
            assertThrows(IllegalArgumentException.class,
                    () -> new EagerForward(NARROW, precision, partial, 1).logits(images, 16));
        }
    }
}

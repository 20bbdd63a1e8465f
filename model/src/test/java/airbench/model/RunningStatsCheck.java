package airbench.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;

/** The BatchNorm running-statistics memory, observed through two training steps that leave the weights put. */
final class RunningStatsCheck {
    private RunningStatsCheck() {}

    /**
     * With s = 0 the weights stay put, and two steps on the same batch move a running mean as
     * m*(m*0 + (1-m) b) + (1-m) b and the variance as m*(m*1 + (1-m) v) + (1-m) v. Eliminating the
     * unknown batch statistics b and v: mean2 = (1 + m) mean1 and var2 = (1 + m) var1 - m. The model
     * must be freshly initialized (running mean 0, variance 1).
     *
     * @param kernel a weight that must not move at s = 0
     * @param norms  BatchNorm layers to check, e.g. "block1/norm1"
     */
    static void assertTwoStepsUseMemory(AirbenchModel model, float[] images, int[] labels, int count,
                                        String kernel, List<String> norms, double memory) {
        float[] kernelBefore = model.networkState().get(kernel);
        model.trainStep(images, labels, count, 0.0, true, null);
        Map<String, float[]> one = model.networkState();
        model.trainStep(images, labels, count, 0.0, true, null);
        Map<String, float[]> two = model.networkState();
        assertArrayEquals(kernelBefore, two.get(kernel));
        for (String norm : norms) {
            float[] mean1 = one.get(norm + "/mean");
            float[] mean2 = two.get(norm + "/mean");
            float[] var1 = one.get(norm + "/variance");
            float[] var2 = two.get(norm + "/variance");
            for (int c = 0; c < mean1.length; c++) {
                assertEquals((1 + memory) * mean1[c], mean2[c], 1e-4 + 1e-4 * Math.abs(mean2[c]),
                        norm + " mean " + c);
                assertEquals((1 + memory) * var1[c] - memory, var2[c], 1e-4 + 1e-4 * Math.abs(var2[c]),
                        norm + " variance " + c);
            }
        }
    }
}

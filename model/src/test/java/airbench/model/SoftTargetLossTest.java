package airbench.model;

import static airbench.model.TinyModels.whitening;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/**
 * hlb's loss (docs/METHOD.md section 13): label smoothing applied after CutMix mixed two one-hots, and the summed
 * loss halved in the gradient. Checked against the cross-entropy written out here and against the plain loss.
 */
class SoftTargetLossTest {
    private static final NetworkSpec NARROW = new NetworkSpec(List.of(8, 16, 16), 2, false, 0.6, 10);

    @Test
    void softTargetsAreLabelSmoothedAfterTheMix() {
        float[][] logits = {{1f, 2f, 3f}, {0.5f, -1f, 0f}};
        float own = (float) (1015 / 1024.0);
        float partner = (float) (9 / 1024.0);
        float[][] targets = {{0f, partner, own}, {own + partner, 0f, 0f}};
        float smoothing = 0.2f;
        double expected = 0;
        for (int n = 0; n < logits.length; n++) {
            double max = Math.max(logits[n][0], Math.max(logits[n][1], logits[n][2]));
            double z = 0;
            for (float v : logits[n]) {
                z += Math.exp(v - max);
            }
            for (int j = 0; j < 3; j++) {
                double target = (1 - smoothing) * targets[n][j] + smoothing / 3;
                expected -= target * (logits[n][j] - max - Math.log(z));
            }
        }
        try (Graph g = new Graph(); Session session = new Session(g)) {
            Ops tf = Ops.create(g);
            Operand<TFloat32> loss = TrainingGraph.softCrossEntropySum(tf, tf.constant(logits), tf.constant(targets), 3,
                    smoothing);
            try (var result = session.runner().fetch(loss).run()) {
                assertEquals(expected, ((TFloat32) result.get(0)).getFloat(), 1e-5);
            }
        }
    }

    @Test
    void oneHotTargetsGiveTheLabelsLossAndTheModelRefusesTheWrongFeed() {
        TinyModels.Batch batch = TinyModels.randomBatch(16, 3);
        float[] oneHots = new float[16 * 10];
        for (int n = 0; n < 16; n++) {
            oneHots[n * 10 + batch.labels()[n]] = 1f;
        }
        OptimizerSpec optimizer = new OptimizerSpec(16, 11.5, 0.85, 0.0153, 64);
        try (AirbenchModel labels = new AirbenchModel(NARROW, Precision.FP32, optimizer, new LossSpec(0.2), 2,
                Compilation.NONE, null);
             AirbenchModel soft = new AirbenchModel(NARROW, Precision.FP32, optimizer, new LossSpec(0.2, 1, true), 2,
                     Compilation.NONE, null)) {
            labels.initialize(whitening(), 4);
            soft.initialize(whitening(), 4);
            double a = labels.trainStep(batch.images(), batch.labels(), 16, 1.0, true, null).lossSum();
            double b = soft.trainStep(batch.images(), batch.labels(), oneHots, 16, 1.0, 1.0, true, null).lossSum();
            assertEquals(a, b, 1e-5 * a);
            IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                    () -> soft.trainStep(batch.images(), batch.labels(), 16, 1.0, true, null));
            assertTrue(missing.getMessage().contains("soft targets"), missing.getMessage());
            assertThrows(IllegalArgumentException.class,
                    () -> labels.trainStep(batch.images(), batch.labels(), oneHots, 16, 1.0, 1.0, true, null));
        }
    }

    /**
     * Without weight decay, Nesterov SGD's steps are linear in the gradient: half the loss at rate lr moves every
     * weight as the whole loss at lr / 2, step after step; the reported loss is the plain sum either way.
     */
    @Test
    void aLossScaleOfOneHalfStepsAsHalfTheLearningRate() {
        TinyModels.Batch batch = TinyModels.randomBatch(16, 5);
        try (AirbenchModel halved = new AirbenchModel(NARROW, Precision.FP32, new OptimizerSpec(16, 11.5, 0.85, 0, 64),
                new LossSpec(0.2, 0.5, false), 2, Compilation.NONE, null);
             AirbenchModel slower = new AirbenchModel(NARROW, Precision.FP32, new OptimizerSpec(16, 5.75, 0.85, 0, 64),
                     new LossSpec(0.2), 2, Compilation.NONE, null)) {
            halved.initialize(whitening(), 6);
            slower.initialize(whitening(), 6);
            for (int step = 0; step < 3; step++) {
                double a = halved.trainStep(batch.images(), batch.labels(), 16, 1.0, true, null).lossSum();
                double b = slower.trainStep(batch.images(), batch.labels(), 16, 1.0, true, null).lossSum();
                assertEquals(b, a, 1e-4 * b, "loss of step " + step);
            }
            Map<String, float[]> a = halved.networkState();
            Map<String, float[]> b = slower.networkState();
            for (String name : List.of("block1/conv1/kernel", "block3/conv2/kernel", "head/kernel", "block2/norm1/shift")) {
                float[] x = a.get(name);
                float[] y = b.get(name);
                for (int k = 0; k < x.length; k++) {
                    assertEquals(y[k], x[k], 1e-5 + 1e-4 * Math.abs(y[k]), name + "[" + k + "]");
                }
            }
            assertTrue(!java.util.Arrays.equals(a.get("head/kernel"), new float[a.get("head/kernel").length]));
        }
    }
}

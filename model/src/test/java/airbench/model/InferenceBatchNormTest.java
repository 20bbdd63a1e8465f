package airbench.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.tensorflow.EagerSession;
import org.tensorflow.op.Ops;
import org.tensorflow.op.nn.FusedBatchNorm;
import org.tensorflow.types.TFloat32;

/**
 * The inference BatchNorm written as element-wise ops computes what FusedBatchNormV3 in inference mode computed
 * before it, and what the formula gives by hand.
 */
class InferenceBatchNormTest {
    private static final int N = 2, H = 3, W = 3, C = 4;
    private static final float EPS = 1e-12f;

    @Test
    void elementWiseInferenceMatchesTheFusedOpAndTheFormula() {
        Random random = new Random(11);
        float[] x = new float[N * H * W * C];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (random.nextGaussian() * 3 + 1);
        }
        float[] mean = {0.5f, -1f, 2f, 0f};
        float[] variance = {4f, 0.25f, 1f, 9f};
        float[] shift = {0.1f, 0f, -0.3f, 2f};
        float[] byHand = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            int c = i % C;
            byHand[i] = (float) ((x[i] - mean[c]) / Math.sqrt(variance[c] + EPS) + shift[c]);
        }
        try (EagerSession session = EagerSession.create()) {
            Ops tf = Ops.create(session);
            var input = tf.reshape(tf.constant(x), tf.constant(new long[] {N, H, W, C}));
            var elementWise = AirbenchNetwork.normalizeForInference(tf, input, tf.constant(mean), tf.constant(variance),
                    tf.constant(shift), EPS);
            var fused = tf.nn.fusedBatchNorm(input, tf.constant(new float[] {1, 1, 1, 1}), tf.constant(shift),
                    tf.constant(mean), tf.constant(variance), FusedBatchNorm.epsilon(EPS),
                    FusedBatchNorm.isTraining(false)).y();
            assertArrayEquals(byHand, flat(elementWise.asTensor()), 1e-5f);
            assertArrayEquals(byHand, flat(fused.asTensor()), 1e-5f);
        }
    }

    private static float[] flat(TFloat32 tensor) {
        float[] values = new float[(int) tensor.shape().size()];
        tensor.copyTo(org.tensorflow.ndarray.buffer.DataBuffers.of(values, false, false));
        return values;
    }
}

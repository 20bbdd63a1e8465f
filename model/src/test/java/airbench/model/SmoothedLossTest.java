package airbench.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

class SmoothedLossTest {

    @Test
    void summedLabelSmoothedCrossEntropyMatchesTheFormula() {
        float[][] logits = {{1f, 2f, 3f}, {0.5f, -1f, 0f}};
        int[] labels = {2, 0};
        float smoothing = 0.2f;
        int classes = 3;

        double expected = 0;
        for (int n = 0; n < logits.length; n++) {
            double max = Math.max(logits[n][0], Math.max(logits[n][1], logits[n][2]));
            double z = 0;
            for (float v : logits[n]) {
                z += Math.exp(v - max);
            }
            for (int j = 0; j < classes; j++) {
                double logSoftmax = logits[n][j] - max - Math.log(z);
                double target = (j == labels[n] ? 1 - smoothing : 0) + smoothing / classes;
                expected -= target * logSoftmax;
            }
        }

        try (Graph g = new Graph(); Session session = new Session(g)) {
            Ops tf = Ops.create(g);
            Operand<TFloat32> loss = TrainingGraph.smoothedCrossEntropySum(tf, tf.constant(logits),
                    tf.constant(labels), classes, smoothing);
            try (var result = session.runner().fetch(loss).run()) {
                assertEquals(expected, ((TFloat32) result.get(0)).getFloat(), 1e-5);
            }
        }
    }
}

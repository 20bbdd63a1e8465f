package airbench.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Session;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;

class NesterovSgdStepTest {

    /**
     * Two steps on a toy variable whose gradient is a constant c, against the
     * closed form of the method's update written out by hand.
     */
    @Test
    void twoStepsMatchTheClosedFormOfDecoupledNesterov() {
        float[] p0 = {1.0f, -2.0f};
        float[] c = {0.5f, 0.25f};
        double lr = 0.1;
        double wd = 0.01;
        double mu = 0.9;
        double s = 0.5;

        // Closed form, in double: g' = c + (wd / lr) p; buf = mu buf + g'; p -= s lr (g' + mu buf)
        double[] p = {p0[0], p0[1]};
        double[] buf = {0, 0};
        for (int step = 0; step < 2; step++) {
            for (int i = 0; i < 2; i++) {
                double g = c[i] + wd / lr * p[i];
                buf[i] = mu * buf[i] + g;
                p[i] -= s * lr * (g + mu * buf[i]);
            }
        }
        // Effective decay per step is s * wd * p: check the first step separately for i = 0.
        double first = p0[0] - s * lr * (c[0] + wd / lr * p0[0]) * (1 + mu);

        try (Graph g = new Graph(); Session session = new Session(g)) {
            Ops tf = Ops.create(g);
            Variable<TFloat32> param = tf.variable(tf.constant(p0));
            Variable<TFloat32> momentum = tf.variable(tf.zeros(tf.constant(new long[] {2}), TFloat32.class));
            Op update = NesterovSgdStep.update(tf, param, momentum, tf.constant(c), lr, wd, mu, tf.constant((float) s));
            session.initialize();
            session.run(update);
            float[] afterOne = read(session, param);
            session.run(update);
            float[] afterTwo = read(session, param);
            assertArrayEquals(new float[] {(float) first}, new float[] {afterOne[0]}, 1e-6f);
            assertArrayEquals(new float[] {(float) p[0], (float) p[1]}, afterTwo, 1e-6f);
        }
    }

    private static float[] read(Session session, Variable<TFloat32> v) {
        try (var result = session.runner().fetch(v).run()) {
            TFloat32 t = (TFloat32) result.get(0);
            float[] out = new float[(int) t.shape().size()];
            t.copyTo(org.tensorflow.ndarray.buffer.DataBuffers.of(out, false, false));
            return out;
        }
    }
}

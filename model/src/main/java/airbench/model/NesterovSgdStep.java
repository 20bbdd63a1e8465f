package airbench.model;

import org.tensorflow.Operand;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.op.train.ApplyMomentum;
import org.tensorflow.types.TFloat32;

/**
 * One Nesterov SGD step of one parameter with weight decay coupled into the gradient, as PyTorch's SGD applies
 * it: {@code g' = g + (wd / lr_group) p; buf = mu buf + g'; p -= s lr_group (g' + mu buf)}. The decay is entered
 * as {@code wd / lr_group} so that the decay actually applied per step is {@code s wd p} whatever the group's rate
 * (the recipes state wd per step, {@link OptimizerSpec}); TensorFlow's ApplyMomentum (use_nesterov) computes the
 * step when fed {@code g'} and the learning rate {@code s * lr_group}.
 */
public final class NesterovSgdStep {
    private NesterovSgdStep() {}

    /**
     * @param groupLearningRate lr_group of the parameter's group (unscheduled)
     * @param weightDecay       wd, the decay per step at s = 1
     * @param momentum          mu
     * @param lrScale           the scheduled multiplier s (times any gate), a scalar
     */
    public static Op update(Ops tf, Variable<TFloat32> parameter, Variable<TFloat32> buffer,
                            Operand<TFloat32> gradient, double groupLearningRate, double weightDecay,
                            double momentum, Operand<TFloat32> lrScale) {
        Operand<TFloat32> decayed = tf.math.add(gradient,
                tf.math.mul(parameter, tf.constant((float) (weightDecay / groupLearningRate))));
        Operand<TFloat32> lr = tf.math.mul(lrScale, tf.constant((float) groupLearningRate));
        return tf.train.applyMomentum(parameter, buffer, lr, decayed, tf.constant((float) momentum),
                ApplyMomentum.useNesterov(true));
    }
}

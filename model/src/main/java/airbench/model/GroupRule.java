package airbench.model;

import org.tensorflow.Operand;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;

/**
 * How one parameter group is updated: the group's unscheduled hyperparameters and the graph ops
 * of one step. Each parameter has one momentum buffer of its own shape, whichever the rule.
 */
public sealed interface GroupRule {

    /**
     * The ops of one update of {@code parameter}, created in {@code tf} (whose control dependencies
     * make them wait for every gradient).
     *
     * @param multiplier the schedule's multiplier s of this step, a float scalar
     */
    Op update(Ops tf, Variable<TFloat32> parameter, Variable<TFloat32> buffer, Operand<TFloat32> gradient,
              Operand<TFloat32> multiplier);

    /**
     * Nesterov SGD with coupled weight decay: {@code g' = g + (wd / lr) p; buf = mu buf + g';
     * p -= s lr (g' + mu buf)}, so the decay per step is {@code s wd p} ({@link NesterovSgdStep}).
     *
     * @param learningRate lr of the group
     * @param weightDecay  wd, the decay per step at s = 1
     * @param momentum     mu
     */
    record NesterovSgd(double learningRate, double weightDecay, double momentum) implements GroupRule {
        public NesterovSgd {
            if (!(learningRate > 0) || !(weightDecay >= 0) || !(momentum >= 0 && momentum < 1)) {
                throw new IllegalArgumentException("need lr > 0, wd >= 0, momentum in [0, 1); got lr " + learningRate
                        + ", wd " + weightDecay + ", momentum " + momentum);
            }
        }

        @Override
        public Op update(Ops tf, Variable<TFloat32> parameter, Variable<TFloat32> buffer, Operand<TFloat32> gradient,
                         Operand<TFloat32> multiplier) {
            return NesterovSgdStep.update(tf, parameter, buffer, gradient, learningRate, weightDecay, momentum, multiplier);
        }
    }

    /**
     * Muon for 3x3 filters ({@link Muon}): Nesterov momentum, renormalization of the filter tensor,
     * Newton-Schulz orthogonalized step of size {@code s lr}; no weight decay.
     *
     * @param learningRate lr (the step's Frobenius scale per orthogonalized direction)
     * @param momentum     mu of the Nesterov buffer
     */
    record MuonFilters(double learningRate, double momentum) implements GroupRule {
        public MuonFilters {
            if (!(learningRate > 0) || !(momentum >= 0 && momentum < 1)) {
                throw new IllegalArgumentException("need lr > 0, momentum in [0, 1); got lr " + learningRate
                        + ", momentum " + momentum);
            }
        }

        @Override
        public Op update(Ops tf, Variable<TFloat32> parameter, Variable<TFloat32> buffer, Operand<TFloat32> gradient,
                         Operand<TFloat32> multiplier) {
            return Muon.update(tf, parameter, buffer, gradient, learningRate, momentum, multiplier);
        }
    }
}

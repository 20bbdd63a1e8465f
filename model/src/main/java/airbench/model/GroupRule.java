package airbench.model;

import org.tensorflow.Operand;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TBool;
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
     * The same with the step's renormalization flag, a boolean scalar fed per step (docs/METHOD.md section 14);
     * only a rule that renormalizes at some steps and not others reads it.
     */
    default Op update(Ops tf, Variable<TFloat32> parameter, Variable<TFloat32> buffer, Operand<TFloat32> gradient,
                      Operand<TFloat32> multiplier, Operand<TBool> renormalize) {
        return update(tf, parameter, buffer, gradient, multiplier);
    }

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
     * Muon for 3x3 filters ({@link Muon}): Nesterov momentum, renormalization of the filter tensor (at every step, or
     * at the steps {@code renormalization} picks), Newton-Schulz orthogonalized step of size {@code s lr}, then the
     * decoupled decay {@code W (1 - s lr wd)} (94muon: none).
     *
     * @param learningRate   lr (the step's Frobenius scale per orthogonalized direction)
     * @param momentum       mu of the Nesterov buffer
     * @param weightDecay    wd of the decoupled decay (0: none)
     * @param newtonSchulz   the iteration's coefficients
     * @param renormalization at which steps the filter is renormalized
     */
    record MuonFilters(double learningRate, double momentum, double weightDecay, NewtonSchulz newtonSchulz,
                       MuonRenormalization renormalization) implements GroupRule {
        /** 94muon's rule: no decay, its coefficients, renormalized at every step. */
        public MuonFilters(double learningRate, double momentum) {
            this(learningRate, momentum, 0, NewtonSchulz.AIRBENCH94_MUON, MuonRenormalization.EVERY_STEP);
        }

        public MuonFilters {
            if (!(learningRate > 0) || !(momentum >= 0 && momentum < 1) || !(weightDecay >= 0)) {
                throw new IllegalArgumentException("need lr > 0, momentum in [0, 1), wd >= 0; got lr " + learningRate
                        + ", momentum " + momentum + ", wd " + weightDecay);
            }
            java.util.Objects.requireNonNull(newtonSchulz, "newtonSchulz");
            java.util.Objects.requireNonNull(renormalization, "renormalization");
        }

        @Override
        public Op update(Ops tf, Variable<TFloat32> parameter, Variable<TFloat32> buffer, Operand<TFloat32> gradient,
                         Operand<TFloat32> multiplier) {
            return update(tf, parameter, buffer, gradient, multiplier, null);
        }

        @Override
        public Op update(Ops tf, Variable<TFloat32> parameter, Variable<TFloat32> buffer, Operand<TFloat32> gradient,
                         Operand<TFloat32> multiplier, Operand<TBool> renormalize) {
            if (!renormalization.everyStep() && renormalize == null) {
                throw new IllegalArgumentException("Muon renormalizing at some steps only (" + renormalization
                        + ") needs the per-step flag");
            }
            return Muon.update(tf, parameter, buffer, gradient, learningRate, momentum, weightDecay, newtonSchulz,
                    renormalization.everyStep() ? null : renormalize, multiplier);
        }
    }
}

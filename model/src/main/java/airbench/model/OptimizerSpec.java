package airbench.model;

import java.util.List;
import java.util.Locale;

/**
 * The optimizer of airbench94/95/96: Nesterov SGD over two groups plus Lookahead, with its
 * hyperparameters in the reference's decoupled form (docs/METHOD.md section 5).
 *
 * <p>The recipe states the learning rate and weight decay "per 1024 examples" and
 * independent of momentum, so that changing the batch size or the momentum does not
 * silently change the effective step. The actual SGD values follow from
 * {@code kilostep = 1024 * (1 + 1 / (1 - momentum))}: {@code lr = lrPer1024 / kilostep},
 * {@code wd = wdPer1024 * batchSize / kilostep}, and BatchNorm shifts train
 * {@code biasLrScale} times faster. Weight decay enters each group's gradient as
 * {@code (wd / lr_group) * p}, so the decay actually applied per step is
 * {@code s * wd * p} in both groups.
 *
 * @param batchSize      examples per optimizer step
 * @param lrPer1024      learning rate per 1024 examples (lr_h)
 * @param momentum       Nesterov momentum (mu)
 * @param wdPer1024      weight decay per 1024 examples (wd_h)
 * @param biasLrScale    learning-rate multiplier of the BatchNorm shifts
 */
public record OptimizerSpec(int batchSize, double lrPer1024, double momentum, double wdPer1024,
                            double biasLrScale) implements TrainingOptimizer {

    public OptimizerSpec {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be positive, got " + batchSize);
        }
        if (!(lrPer1024 > 0)) {
            throw new IllegalArgumentException("lrPer1024 must be positive, got " + lrPer1024);
        }
        if (!(momentum >= 0 && momentum < 1)) {
            throw new IllegalArgumentException("momentum must be in [0, 1), got " + momentum);
        }
        if (!(wdPer1024 >= 0)) {
            throw new IllegalArgumentException("wdPer1024 must be >= 0, got " + wdPer1024);
        }
        if (!(biasLrScale > 0)) {
            throw new IllegalArgumentException("biasLrScale must be positive, got " + biasLrScale);
        }
    }

    /**
     * The same optimizer from the rates PyTorch's SGD is given, as hlb-CIFAR10 states them (docs/METHOD.md
     * section 13): the weights' {@code lr} per step and their {@code weight_decay}, the coefficient of p coupled into
     * their gradient ({@code g + wd p}, a decay of {@code lr wd p} per step); the BatchNorm shifts train with
     * {@code biasLrScale * lr} and {@code wd / biasLrScale}, the same decay per step, which is the coupling of this
     * record. Converted to the per-1024 values ({@code lrPer1024 = lr * kilostep}, {@code wdPer1024 = lr wd
     * kilostep / batchSize}), so that, as in hlb, a changed batch size keeps the rate and scales the decay with it.
     *
     * @param learningRate SGD lr of the weights per step
     * @param coupledDecay weight_decay of the weights: the gradient is {@code g + coupledDecay p}
     */
    public static OptimizerSpec fromStepRates(int batchSize, double learningRate, double momentum,
                                              double coupledDecay, double biasLrScale) {
        double kilostep = 1024 * (1 + 1 / (1 - momentum));
        return new OptimizerSpec(batchSize, learningRate * kilostep, momentum,
                learningRate * coupledDecay * kilostep / batchSize, biasLrScale);
    }

    /** Examples per "kilostep": 1024 scaled by the momentum's effective step multiplier 1 / (1 - mu). */
    public double kilostep() {
        return 1024 * (1 + 1 / (1 - momentum));
    }

    /** SGD learning rate of the weights (and of the whitening bias). */
    public double learningRate() {
        return lrPer1024 / kilostep();
    }

    /** SGD learning rate of the BatchNorm shifts. */
    public double biasLearningRate() {
        return learningRate() * biasLrScale;
    }

    /** Decay applied per step (times the schedule) to every trained parameter. */
    public double weightDecay() {
        return wdPer1024 * batchSize / kilostep();
    }

    /** BatchNorm shifts train with {@link #biasLearningRate}; the weights and the whitening bias with {@link #learningRate}. */
    @Override
    public GroupRule rule(ParameterGroup group) {
        double lr = group == ParameterGroup.NORM_SHIFTS ? biasLearningRate() : learningRate();
        return new GroupRule.NesterovSgd(lr, weightDecay(), momentum);
    }

    @Override
    public boolean usesLookahead() {
        return true;
    }


    @Override
    public OptimizerSpec withBatchSize(int newBatchSize) {
        return new OptimizerSpec(newBatchSize, lrPer1024, momentum, wdPer1024, biasLrScale);
    }


    @Override
    public List<String> describe() {
        return List.of(
                "batch size             " + batchSize,
                "lr per 1024 examples   " + lrPer1024 + "  (SGD lr " + fmt(learningRate())
                        + ", BatchNorm-shift lr " + fmt(biasLearningRate()) + ")",
                "momentum (Nesterov)    " + momentum,
                "wd per 1024 examples   " + wdPer1024 + "  (decay per step " + fmt(weightDecay()) + ")",
                "bias lr scale          " + biasLrScale);
    }

    static String fmt(double v) {
        return String.format(Locale.ROOT, "%.6g", v);
    }
}

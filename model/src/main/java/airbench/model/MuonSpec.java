package airbench.model;

import java.util.List;

/**
 * The optimizer of the 94muon record (docs/METHOD.md section 10): Muon for the block filters and
 * Nesterov SGD for the whitening bias, the BatchNorm shifts and the head, stepped on the same
 * gradients; no Lookahead. The rates are plain per-step values, not per 1024 examples; only the
 * weight decay follows the batch ({@code wd = wdPerExample * batchSize}, 0.004 at batch 2,000),
 * coupled into each SGD group as {@code (wd / lr) p} so that the decay per step is {@code s wd p}.
 *
 * @param batchSize      examples per optimizer step
 * @param sgdMomentum    Nesterov momentum of the three SGD groups (0.85)
 * @param whitenBiasLr   SGD lr of the whitening bias (0.053)
 * @param normShiftLr    SGD lr of the BatchNorm shifts (0.053)
 * @param headLr         SGD lr of the head weight (0.67)
 * @param wdPerExample   weight decay per example of the batch (2e-6)
 * @param muonLr         Muon lr of the block filters (0.24)
 * @param muonMomentum   Muon's Nesterov momentum (0.6)
 */
public record MuonSpec(int batchSize, double sgdMomentum, double whitenBiasLr, double normShiftLr, double headLr,
                       double wdPerExample, double muonLr, double muonMomentum)
        implements TrainingOptimizer {

    /** The published 94muon values at batch 2,000. */
    public static final MuonSpec AIRBENCH94_MUON = new MuonSpec(2000, 0.85, 0.053, 0.053, 0.67, 2e-6, 0.24, 0.6);

    public MuonSpec {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be positive, got " + batchSize);
        }
        if (!(wdPerExample >= 0)) {
            throw new IllegalArgumentException("wdPerExample must be >= 0, got " + wdPerExample);
        }
        // The rate and momentum ranges are checked by the group rules, built here once to fail early.
        new GroupRule.NesterovSgd(whitenBiasLr, 0, sgdMomentum);
        new GroupRule.NesterovSgd(normShiftLr, 0, sgdMomentum);
        new GroupRule.NesterovSgd(headLr, 0, sgdMomentum);
        new GroupRule.MuonFilters(muonLr, muonMomentum);
    }

    /** Decay per step at s = 1 of every SGD group. */
    public double weightDecay() {
        return wdPerExample * batchSize;
    }

    @Override
    public GroupRule rule(ParameterGroup group) {
        return switch (group) {
            case WHITEN_BIAS -> new GroupRule.NesterovSgd(whitenBiasLr, weightDecay(), sgdMomentum);
            case NORM_SHIFTS -> new GroupRule.NesterovSgd(normShiftLr, weightDecay(), sgdMomentum);
            case HEAD -> new GroupRule.NesterovSgd(headLr, weightDecay(), sgdMomentum);
            case FILTERS -> new GroupRule.MuonFilters(muonLr, muonMomentum);
        };
    }

    @Override
    public boolean usesLookahead() {
        return false;
    }


    @Override
    public MuonSpec withBatchSize(int newBatchSize) {
        return new MuonSpec(newBatchSize, sgdMomentum, whitenBiasLr, normShiftLr, headLr, wdPerExample, muonLr,
                muonMomentum);
    }


    @Override
    public List<String> describe() {
        return List.of(
                "batch size             " + batchSize,
                "filters                Muon, lr " + muonLr + ", momentum (Nesterov) " + muonMomentum
                        + ", no weight decay, Newton-Schulz " + Muon.NEWTON_SCHULZ_STEPS + " steps in bfloat16",
                "whitening bias         SGD lr " + whitenBiasLr,
                "BatchNorm shifts       SGD lr " + normShiftLr,
                "head                   SGD lr " + headLr,
                "SGD momentum           " + sgdMomentum + " (Nesterov)",
                "wd per example         " + wdPerExample + "  (decay per step " + OptimizerSpec.fmt(weightDecay()) + ")");
    }
}

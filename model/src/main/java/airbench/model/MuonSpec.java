package airbench.model;

import java.util.List;

/**
 * The optimizer of the 94muon record (docs/METHOD.md section 10) and of the hiverge record (section 14): Muon for
 * the block filters and Nesterov SGD for the whitening bias, the BatchNorm shifts and the head, stepped on the same
 * gradients; no Lookahead. The rates are plain per-step values, not per 1024 examples; only the
 * weight decay follows the batch ({@code wd = wdPerExample * batchSize}, 0.004 at batch 2,000),
 * coupled into each SGD group as {@code (wd / lr) p} so that the decay per step is {@code s wd p}
 * (the hiverge record's coupled coefficients 0.027927 and 0.0029551 are this wd, 1.0418e-6 x 1,536, over its
 * rates 0.0573 and 0.5415). The filters' decay, if any, is decoupled: {@code W (1 - s muonLr muonWd)} after
 * the update, with {@code muonWd = muonWdPerExample * batchSize}.
 *
 * @param batchSize      examples per optimizer step
 * @param sgdMomentum    Nesterov momentum of the three SGD groups (0.85)
 * @param whitenBiasLr   SGD lr of the whitening bias (0.053)
 * @param normShiftLr    SGD lr of the BatchNorm shifts (0.053)
 * @param headLr         SGD lr of the head weight (0.67)
 * @param wdPerExample   weight decay per example of the batch (2e-6)
 * @param muonLr         Muon lr of the block filters (0.24)
 * @param muonMomentum   Muon's Nesterov momentum (0.6)
 * @param muonWdPerExample the filters' decoupled weight decay per example of the batch (94muon: 0; hiverge:
 *                       1.0418e-6, so 1.6002e-3 per step at batch 1,536)
 * @param newtonSchulz   the coefficients of Muon's Newton-Schulz iteration
 * @param renormalization at which steps Muon renormalizes the filters (94muon: every step)
 */
public record MuonSpec(int batchSize, double sgdMomentum, double whitenBiasLr, double normShiftLr, double headLr,
                       double wdPerExample, double muonLr, double muonMomentum, double muonWdPerExample,
                       NewtonSchulz newtonSchulz, MuonRenormalization renormalization)
        implements TrainingOptimizer {

    /** The published 94muon values at batch 2,000. */
    public static final MuonSpec AIRBENCH94_MUON = new MuonSpec(2000, 0.85, 0.053, 0.053, 0.67, 2e-6, 0.24, 0.6);

    /**
     * The hiverge record's values at batch 1,536 (docs/METHOD.md section 14): SGD momentum 0.825, rates 0.0573
     * (whitening bias, BatchNorm shifts) and 0.5415 (head); Muon lr 0.205, momentum 0.655, its coefficients, the
     * decoupled decay and the renormalization at 37 of the 243 steps; wd 1.0418e-6 per example everywhere.
     */
    public static final MuonSpec HIVERGE = new MuonSpec(1536, 0.825, 0.0573, 0.0573, 0.5415, 1.0418e-6, 0.205, 0.655,
            1.0418e-6, NewtonSchulz.HIVERGE, MuonRenormalization.HIVERGE);

    /** 94muon's Muon: no decay of the filters, its coefficients, renormalization at every step. */
    public MuonSpec(int batchSize, double sgdMomentum, double whitenBiasLr, double normShiftLr, double headLr,
                    double wdPerExample, double muonLr, double muonMomentum) {
        this(batchSize, sgdMomentum, whitenBiasLr, normShiftLr, headLr, wdPerExample, muonLr, muonMomentum, 0,
                NewtonSchulz.AIRBENCH94_MUON, MuonRenormalization.EVERY_STEP);
    }

    public MuonSpec {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be positive, got " + batchSize);
        }
        if (!(wdPerExample >= 0)) {
            throw new IllegalArgumentException("wdPerExample must be >= 0, got " + wdPerExample);
        }
        if (!(muonWdPerExample >= 0)) {
            throw new IllegalArgumentException("muonWdPerExample must be >= 0, got " + muonWdPerExample);
        }
        java.util.Objects.requireNonNull(newtonSchulz, "newtonSchulz");
        java.util.Objects.requireNonNull(renormalization, "renormalization");
        // The rate and momentum ranges are checked by the group rules, built here once to fail early.
        new GroupRule.NesterovSgd(whitenBiasLr, 0, sgdMomentum);
        new GroupRule.NesterovSgd(normShiftLr, 0, sgdMomentum);
        new GroupRule.NesterovSgd(headLr, 0, sgdMomentum);
        new GroupRule.MuonFilters(muonLr, muonMomentum, muonWdPerExample * batchSize, newtonSchulz, renormalization);
    }

    /** Decay per step at s = 1 of every SGD group. */
    public double weightDecay() {
        return wdPerExample * batchSize;
    }

    /** Decoupled decay per step of the filters at s = 1 and lr 1 (0: none). */
    public double muonWeightDecay() {
        return muonWdPerExample * batchSize;
    }

    private GroupRule.MuonFilters muonRule() {
        return new GroupRule.MuonFilters(muonLr, muonMomentum, muonWeightDecay(), newtonSchulz, renormalization);
    }

    @Override
    public GroupRule rule(ParameterGroup group) {
        return switch (group) {
            case WHITEN_BIAS -> new GroupRule.NesterovSgd(whitenBiasLr, weightDecay(), sgdMomentum);
            case NORM_SHIFTS -> new GroupRule.NesterovSgd(normShiftLr, weightDecay(), sgdMomentum);
            case HEAD -> new GroupRule.NesterovSgd(headLr, weightDecay(), sgdMomentum);
            case FILTERS -> muonRule();
        };
    }

    @Override
    public boolean usesLookahead() {
        return false;
    }


    @Override
    public MuonSpec withBatchSize(int newBatchSize) {
        return new MuonSpec(newBatchSize, sgdMomentum, whitenBiasLr, normShiftLr, headLr, wdPerExample, muonLr,
                muonMomentum, muonWdPerExample, newtonSchulz, renormalization);
    }


    @Override
    public List<String> describe() {
        return List.of(
                "batch size             " + batchSize,
                "filters                Muon, lr " + muonLr + ", momentum (Nesterov) " + muonMomentum
                        + (muonWdPerExample == 0 ? ", no weight decay" : ", decoupled decay "
                        + OptimizerSpec.fmt(muonWeightDecay()) + " x lr per step")
                        + ", Newton-Schulz " + Muon.NEWTON_SCHULZ_STEPS + " steps in bfloat16",
                "Newton-Schulz (a,b,c)  " + newtonSchulz,
                "filter renormalization " + (renormalization.everyStep() ? "every step"
                        : "when s - last >= " + renormalization.minGap() + " + floor(" + renormalization.gapGrowth()
                        + " s / total steps)"),
                "whitening bias         SGD lr " + whitenBiasLr,
                "BatchNorm shifts       SGD lr " + normShiftLr,
                "head                   SGD lr " + headLr,
                "SGD momentum           " + sgdMomentum + " (Nesterov)",
                "wd per example         " + wdPerExample + "  (decay per step " + OptimizerSpec.fmt(weightDecay()) + ")");
    }
}

package airbench.train;

import airbench.model.MuonRenormalization;
import airbench.model.MuonSpec;

/**
 * The step-indexed schedules of a run (docs/METHOD.md sections 2, 5 and 13), as pure functions of the step so that a
 * resumed run computes the same values. {@link #at} is what the loop asks before every step.
 *
 * @param stepsPerEpoch      optimizer steps in one pass (last partial batch dropped)
 * @param totalSteps         ceil(stepsPerEpoch * epochs)
 * @param warmupSteps        floor(warmupFraction * totalSteps)
 * @param initialMultiplier  lr multiplier at step 0 of a warmup
 * @param finalMultiplier    lr multiplier reached at the end
 * @param whitenBiasSteps    steps during which the whitening bias trains: ceil(whitenBiasEpochs * stepsPerEpoch)
 * @param whitenBiasOwnDecay the whitening bias's multiplier falls from 1 to 0 over its own steps (94muon)
 *                           instead of following {@link #lrMultiplier}
 * @param lookaheadEvery     Lookahead blends every this many steps; 0 for no Lookahead
 * @param lookaheadBase      Lookahead's decay per blend
 * @param peakStep           the step (possibly fractional) at which the lr multiplier is 1: {@code warmupSteps}
 *                           for {@link LrShape#TRIANGLE}, {@code warmupFraction * totalSteps - 1} for
 *                           {@link LrShape#ONE_CYCLE}
 * @param endStep            the step from which the multiplier is {@code finalMultiplier}: {@code totalSteps}
 *                           (triangle) or {@code totalSteps - 1} (one-cycle)
 * @param lookaheadStart     steps after which Lookahead takes its slow copy from the fast weights; it blends only
 *                           after it (0: the slow copy is the starting weights)
 * @param renormalization    at which steps Muon renormalizes the filters (every step for 94muon and for the
 *                           recipes without Muon, where nothing reads it; 37 of 243 for 94hiverge)
 */
public record Schedule(int stepsPerEpoch, int totalSteps, int warmupSteps, double initialMultiplier,
                       double finalMultiplier, int whitenBiasSteps, boolean whitenBiasOwnDecay, int lookaheadEvery,
                       double lookaheadBase, double peakStep, double endStep, int lookaheadStart,
                       MuonRenormalization renormalization) {

    /**
     * What one optimizer step needs from the schedule.
     *
     * @param lrMultiplier         s, the multiplier of every learning rate (and of the decay)
     * @param whitenBiasMultiplier the whitening bias's multiplier (used only while it trains)
     * @param trainsWhitenBias     whether the whitening bias trains in this step
     * @param lookaheadAlpha       Lookahead's blend after this step, or null when none happens then
     * @param renormalizesFilters  whether Muon renormalizes the filters before this step's update
     */
    public record Step(double lrMultiplier, double whitenBiasMultiplier, boolean trainsWhitenBias,
                       Double lookaheadAlpha, boolean renormalizesFilters) {}

    public static Schedule of(Recipe recipe, int stepsPerEpoch) {
        if (stepsPerEpoch < 1) {
            throw new IllegalArgumentException("an epoch needs at least one full batch of " + recipe.optimizer().batchSize()
                    + " images; use a smaller --batch-size or more training images");
        }
        int total = (int) Math.ceil(stepsPerEpoch * recipe.epochs());
        int warmup = (int) Math.floor(recipe.warmupFraction() * total);
        boolean oneCycle = recipe.lrShape() == LrShape.ONE_CYCLE;
        // PyTorch's OneCycleLR: phase ends at float(pct_start * total_steps) - 1 and at total_steps - 1.
        double peak = oneCycle ? recipe.warmupFraction() * total - 1 : warmup;
        double end = oneCycle ? total - 1 : total;
        return new Schedule(stepsPerEpoch, total, warmup, recipe.initialLrMultiplier(), recipe.finalLrMultiplier(),
                (int) Math.ceil(recipe.whitenBiasEpochs() * stepsPerEpoch), recipe.whitenBiasOwnDecay(),
                recipe.lookaheadEvery(), recipe.lookaheadBase(), peak, end, recipe.lookaheadStart(),
                recipe.optimizer() instanceof MuonSpec m ? m.renormalization() : MuonRenormalization.EVERY_STEP);
    }

    /** Everything step {@code step} (0-based, the step about to be taken) needs. */
    public Step at(int step) {
        return new Step(lrMultiplier(step), whitenBiasLrMultiplier(step), trainsWhitenBias(step),
                lookaheadAlpha(step + 1), renormalizesFilters(step));
    }

    /** Whether Muon renormalizes the filters in step {@code step} (0-based; Muon step {@code step + 1}). */
    public boolean renormalizesFilters(int step) {
        return renormalization.at(step, totalSteps);
    }

    /**
     * The lr multiplier s of step {@code step} (0-based, the step about to be taken): linear from
     * {@code initialMultiplier} at step 0 to 1 at {@link #peakStep}, then linear to {@code finalMultiplier} at
     * {@link #endStep}, and that value after it (numpy.interp over those three points; with no rise, when the peak
     * is at or before step 0, the fall starts from 1 at the peak).
     */
    public double lrMultiplier(int step) {
        if (step <= 0 && peakStep > 0) {
            return initialMultiplier;
        }
        if (step < peakStep) {
            return initialMultiplier + (1 - initialMultiplier) * step / peakStep;
        }
        if (step >= endStep) {
            return finalMultiplier;
        }
        return 1 + (finalMultiplier - 1) * (step - peakStep) / (endStep - peakStep);
    }

    /**
     * The whitening bias's multiplier in step {@code step}: {@link #lrMultiplier}, or with its own decay
     * {@code 1 - step / whitenBiasSteps} (only used while it trains, so it never reaches 0 in use).
     */
    public double whitenBiasLrMultiplier(int step) {
        return whitenBiasOwnDecay ? 1 - (double) step / whitenBiasSteps : lrMultiplier(step);
    }

    /** Whether the whitening bias trains in step {@code step} (0-based). */
    public boolean trainsWhitenBias(int step) {
        return step < whitenBiasSteps;
    }

    /**
     * Lookahead's a after {@code stepsDone} steps if a blend happens then (every {@code lookaheadEvery} steps from
     * {@code lookaheadStart} on, and only with Lookahead), else null: {@code a = base * (stepsDone / totalSteps)^3},
     * and 0 at {@code lookaheadStart} itself, where {@code slow = 0 slow + 1 fast} takes the slow copy from the
     * fast weights (hlb's snapshot at step 100). Early in the run a is near 0 and the slow copy simply follows the
     * fast weights; late in the run it averages over a longer window.
     */
    public Double lookaheadAlpha(int stepsDone) {
        if (lookaheadEvery == 0 || stepsDone % lookaheadEvery != 0 || stepsDone < lookaheadStart) {
            return null;
        }
        if (stepsDone == lookaheadStart) {
            return 0.0;
        }
        return lookaheadBase * Math.pow((double) stepsDone / totalSteps, 3);
    }

    /**
     * Whether the trained model is Lookahead's slow copy: with Lookahead, once it was taken (a run shorter than
     * {@code lookaheadStart} ends on its fast weights). Without Lookahead there is no slow copy and nothing to copy.
     */
    public boolean endsOnSlowCopy() {
        return lookaheadEvery > 0 && totalSteps >= lookaheadStart;
    }

    /** Epoch (0-based) of step {@code step}. */
    public int epochOf(int step) {
        return step / stepsPerEpoch;
    }

    /** Whether an epoch ends once {@code stepsDone} steps are done: a whole pass, or the run's last (partial) one. */
    public boolean endsEpoch(int stepsDone) {
        return stepsDone > 0 && (stepsDone % stepsPerEpoch == 0 || stepsDone == totalSteps);
    }

    /** Steps of the epoch that ends once {@code stepsDone} steps are done ({@link #endsEpoch} holds). */
    public int stepsOfEpochEndingAt(int stepsDone) {
        return stepsDone - epochOf(stepsDone - 1) * stepsPerEpoch;
    }

    /** Passes over the data, the last one possibly partial. */
    public int epochCount() {
        return (totalSteps + stepsPerEpoch - 1) / stepsPerEpoch;
    }
}

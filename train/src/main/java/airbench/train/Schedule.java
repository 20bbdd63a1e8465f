package airbench.train;

/**
 * The step-indexed schedules of a run (docs/METHOD.md sections 2 and 5), as pure functions of the step so that a
 * resumed run computes the same values. {@link #at} is what the loop asks before every step.
 *
 * @param stepsPerEpoch      optimizer steps in one pass (last partial batch dropped)
 * @param totalSteps         ceil(stepsPerEpoch * epochs)
 * @param warmupSteps        floor(warmupFraction * totalSteps)
 * @param initialMultiplier  lr multiplier at step 0 of a warmup
 * @param finalMultiplier    lr multiplier reached at the last step
 * @param whitenBiasSteps    steps during which the whitening bias trains: ceil(whitenBiasEpochs * stepsPerEpoch)
 * @param whitenBiasOwnDecay the whitening bias's multiplier falls from 1 to 0 over its own steps (94muon)
 *                           instead of following {@link #lrMultiplier}
 * @param lookaheadEvery     Lookahead blends every this many steps; 0 for no Lookahead
 * @param lookaheadBase      Lookahead's decay per blend
 */
public record Schedule(int stepsPerEpoch, int totalSteps, int warmupSteps, double initialMultiplier,
                       double finalMultiplier, int whitenBiasSteps, boolean whitenBiasOwnDecay, int lookaheadEvery,
                       double lookaheadBase) {

    /**
     * What one optimizer step needs from the schedule.
     *
     * @param lrMultiplier         s, the multiplier of every learning rate (and of the decay)
     * @param whitenBiasMultiplier the whitening bias's multiplier (used only while it trains)
     * @param trainsWhitenBias     whether the whitening bias trains in this step
     * @param lookaheadAlpha       Lookahead's blend after this step, or null when none happens then
     */
    public record Step(double lrMultiplier, double whitenBiasMultiplier, boolean trainsWhitenBias,
                       Double lookaheadAlpha) {}

    public static Schedule of(Recipe recipe, int stepsPerEpoch) {
        if (stepsPerEpoch < 1) {
            throw new IllegalArgumentException("an epoch needs at least one full batch of " + recipe.optimizer().batchSize()
                    + " images; use a smaller --batch-size or more training images");
        }
        int total = (int) Math.ceil(stepsPerEpoch * recipe.epochs());
        return new Schedule(stepsPerEpoch, total, (int) Math.floor(recipe.warmupFraction() * total),
                recipe.initialLrMultiplier(), recipe.finalLrMultiplier(),
                (int) Math.ceil(recipe.whitenBiasEpochs() * stepsPerEpoch), recipe.whitenBiasOwnDecay(),
                recipe.lookaheadEvery(), recipe.lookaheadBase());
    }

    /** Everything step {@code step} (0-based, the step about to be taken) needs. */
    public Step at(int step) {
        return new Step(lrMultiplier(step), whitenBiasLrMultiplier(step), trainsWhitenBias(step),
                lookaheadAlpha(step + 1));
    }

    /**
     * The lr multiplier s of step {@code step} (0-based, the step about to be taken):
     * linear from {@code initialMultiplier} at step 0 to 1 at {@code warmupSteps}, then linear to
     * {@code finalMultiplier} at {@code totalSteps} (numpy.interp over those three points).
     */
    public double lrMultiplier(int step) {
        if (step <= 0) {
            return warmupSteps == 0 ? 1.0 : initialMultiplier;
        }
        if (step < warmupSteps) {
            return initialMultiplier + (1 - initialMultiplier) * step / warmupSteps;
        }
        if (step >= totalSteps) {
            return finalMultiplier;
        }
        return 1 + (finalMultiplier - 1) * (step - warmupSteps) / (double) (totalSteps - warmupSteps);
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
     * Lookahead's a after {@code stepsDone} steps if a blend happens then (every {@code lookaheadEvery} steps, and
     * only with Lookahead), else null: {@code a = base * (stepsDone / totalSteps)^3}. Early in the run a is near 0
     * and the slow copy simply follows the fast weights; late in the run it averages over a longer window.
     */
    public Double lookaheadAlpha(int stepsDone) {
        if (lookaheadEvery == 0 || stepsDone % lookaheadEvery != 0) {
            return null;
        }
        return lookaheadBase * Math.pow((double) stepsDone / totalSteps, 3);
    }

    /** Epoch (0-based) of step {@code step}. */
    public int epochOf(int step) {
        return step / stepsPerEpoch;
    }

    /** Passes over the data, the last one possibly partial. */
    public int epochCount() {
        return (totalSteps + stepsPerEpoch - 1) / stepsPerEpoch;
    }
}

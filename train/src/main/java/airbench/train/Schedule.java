package airbench.train;

/**
 * The step-indexed schedules of a run (METHOD.md sections 2 and 5), as pure
 * functions of the step so that a resumed run computes the same values.
 *
 * @param stepsPerEpoch   optimizer steps in one pass (last partial batch dropped)
 * @param totalSteps      ceil(stepsPerEpoch * epochs)
 * @param warmupSteps     floor(warmupFraction * totalSteps)
 * @param finalMultiplier lr multiplier reached at the last step
 * @param whitenBiasSteps steps during which the whitening bias trains: ceil(whitenBiasEpochs * stepsPerEpoch)
 * @param whitenBiasOwnDecay the whitening bias's multiplier falls from 1 to 0 over its own steps (94muon)
 *                        instead of following {@link #lrMultiplier}
 * @param lookahead       whether Lookahead blends every {@value #LOOKAHEAD_EVERY} steps
 */
public record Schedule(int stepsPerEpoch, int totalSteps, int warmupSteps, double finalMultiplier, int whitenBiasSteps,
                       boolean whitenBiasOwnDecay, boolean lookahead) {

    /** The lr multiplier starts at 0.2 of its peak. */
    public static final double INITIAL_MULTIPLIER = 0.2;
    /** Lookahead blends every this many steps. */
    public static final int LOOKAHEAD_EVERY = 5;
    /** Lookahead's base decay per blend, 0.95 per step over 5 steps. */
    public static final double LOOKAHEAD_BASE = Math.pow(0.95, LOOKAHEAD_EVERY);

    public static Schedule of(Recipe recipe, int stepsPerEpoch) {
        if (stepsPerEpoch < 1) {
            throw new IllegalArgumentException("an epoch needs at least one full batch of " + recipe.optimizer().batchSize()
                    + " images; use a smaller --batch-size or more training images");
        }
        int total = (int) Math.ceil(stepsPerEpoch * recipe.epochs());
        return new Schedule(stepsPerEpoch, total, (int) Math.floor(recipe.warmupFraction() * total),
                recipe.finalLrMultiplier(), (int) Math.ceil(recipe.whitenBiasEpochs() * stepsPerEpoch),
                recipe.optimizer().whitenBiasDecaysOverItsSteps(), recipe.optimizer().usesLookahead());
    }

    /**
     * The lr multiplier s of step {@code step} (0-based, the step about to be taken):
     * linear from 0.2 at step 0 to 1 at {@code warmupSteps}, then linear to
     * {@code finalMultiplier} at {@code totalSteps} (numpy.interp over those three points).
     */
    public double lrMultiplier(int step) {
        if (step <= 0) {
            return warmupSteps == 0 ? 1.0 : INITIAL_MULTIPLIER;
        }
        if (step < warmupSteps) {
            return INITIAL_MULTIPLIER + (1 - INITIAL_MULTIPLIER) * step / warmupSteps;
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
     * Lookahead's a after {@code stepsDone} steps if a blend happens then (every fifth step, and only
     * with Lookahead), else null: {@code a = 0.95^5 * (stepsDone / totalSteps)^3}. Early in the run a is
     * near 0 and the slow copy simply follows the fast weights; late in the run it
     * averages over a longer window.
     */
    public Double lookaheadAlpha(int stepsDone) {
        if (!lookahead || stepsDone % LOOKAHEAD_EVERY != 0) {
            return null;
        }
        return LOOKAHEAD_BASE * Math.pow((double) stepsDone / totalSteps, 3);
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

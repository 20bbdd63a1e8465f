package airbench.model;

/**
 * At which Muon steps the filters are renormalized to {@code ||W||_F = sqrt(out)} before their update
 * (docs/METHOD.md sections 10 and 14). With Muon step {@code s = k + 1} (k the 0-based optimizer step) and
 * {@code last = 0} at the start, step s renormalizes when {@code s - last >= minGap + floor(gapGrowth * s / T)}
 * (T the run's total steps), and then {@code last = s}. 94muon renormalizes at every step ({@code minGap 1,
 * gapGrowth 0}); the hiverge record ({@code minGap 2, gapGrowth 15}) at 37 of its 243 steps, ever more rarely as the
 * run goes on. The graph takes the answer as an input per step, so one graph serves every step.
 *
 * @param minGap    the smallest number of Muon steps from one renormalization to the next (>= 1)
 * @param gapGrowth how much the gap grows over the run: {@code floor(gapGrowth * s / T)} more steps at step s (>= 0)
 */
public record MuonRenormalization(int minGap, int gapGrowth) {
    /** 94muon: every step. */
    public static final MuonRenormalization EVERY_STEP = new MuonRenormalization(1, 0);
    /** The hiverge record: gaps from 2 to 16 steps. */
    public static final MuonRenormalization HIVERGE = new MuonRenormalization(2, 15);

    public MuonRenormalization {
        if (minGap < 1 || gapGrowth < 0) {
            throw new IllegalArgumentException("need minGap >= 1 and gapGrowth >= 0, got minGap " + minGap
                    + ", gapGrowth " + gapGrowth);
        }
    }

    /** Whether every step renormalizes (then the graph has no input for it). */
    public boolean everyStep() {
        return minGap == 1 && gapGrowth == 0;
    }

    /**
     * Whether optimizer step {@code step} (0-based) of a run of {@code totalSteps} renormalizes: a pure function of
     * the step (the recurrence is replayed from the start, at most a few thousand additions), so a resumed run
     * agrees with an uninterrupted one.
     */
    public boolean at(int step, int totalSteps) {
        if (step < 0 || totalSteps < 1) {
            throw new IllegalArgumentException("need step >= 0 and totalSteps >= 1, got " + step + ", " + totalSteps);
        }
        int last = 0;
        boolean fires = false;
        for (int s = 1; s <= step + 1; s++) {
            fires = s - last >= minGap + Math.floorDiv((long) gapGrowth * s, totalSteps);
            if (fires) {
                last = s;
            }
        }
        return fires;
    }
}

package airbench.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ScheduleTest {
    /** airbench94: 50,000 // 1,024 = 48 steps per epoch, 9.9 epochs. */
    private final Schedule s94 = Schedule.of(Recipe.AIRBENCH94, 48);

    @Test
    void airbench94HasTheReferenceStepCounts() {
        assertEquals(476, s94.totalSteps());        // ceil(48 * 9.9) = ceil(475.2)
        assertEquals(109, s94.warmupSteps());       // floor(0.23 * 476) = floor(109.48)
        assertEquals(144, s94.whitenBiasSteps());   // 3 epochs
        assertEquals(10, s94.epochCount());
    }

    @Test
    void lrMultiplierIsTheTriangleAtChosenSteps() {
        assertEquals(0.2, s94.lrMultiplier(0), 1e-12);
        assertEquals(0.2 + 0.8 * 50 / 109.0, s94.lrMultiplier(50), 1e-12);
        assertEquals(1.0, s94.lrMultiplier(109), 1e-12);
        // falling leg: from (109, 1) to (476, 0.07)
        assertEquals(1 - 0.93 * (300 - 109) / 367.0, s94.lrMultiplier(300), 1e-12);
        assertEquals(0.07 + 0.93 / 367.0, s94.lrMultiplier(475), 1e-12);
        assertEquals(0.07, s94.lrMultiplier(476), 1e-12);
    }

    @Test
    void airbench96WarmsUpOverATenthAndEndsAtZero() {
        Schedule s96 = Schedule.of(Recipe.AIRBENCH96, 48);
        assertEquals(1776, s96.totalSteps());       // 48 * 37
        assertEquals(177, s96.warmupSteps());       // floor(177.6)
        assertEquals(1.0, s96.lrMultiplier(177), 1e-12);
        assertEquals(1 - (977 - 177) / 1599.0, s96.lrMultiplier(977), 1e-12);
        assertEquals(0.0, s96.lrMultiplier(1776), 1e-12);
    }

    @Test
    void lookaheadBlendsEveryFifthStepWithTheCubicRamp() {
        assertNull(s94.lookaheadAlpha(4));
        assertNull(s94.lookaheadAlpha(6));
        assertEquals(Math.pow(0.95, 5) * Math.pow(5 / 476.0, 3), s94.lookaheadAlpha(5), 1e-15);
        assertEquals(Math.pow(0.95, 5) * Math.pow(475 / 476.0, 3), s94.lookaheadAlpha(475), 1e-15);
    }

    @Test
    void whiteningBiasTrainsForExactlyThreeEpochs() {
        assertTrue(s94.trainsWhitenBias(0));
        assertTrue(s94.trainsWhitenBias(143));
        assertFalse(s94.trainsWhitenBias(144));
    }

    /** 94muon: 50,000 // 2,000 = 25 steps per epoch, 8 epochs, no warmup, no Lookahead. */
    private final Schedule muon = Schedule.of(Recipe.AIRBENCH94_MUON, 25);

    @Test
    void muonRunsTwoHundredStepsAndFallsLinearlyFromOneToZero() {
        assertEquals(200, muon.totalSteps());
        assertEquals(0, muon.warmupSteps());
        assertEquals(8, muon.epochCount());
        // s = 1 - step / 200 for the BatchNorm shifts, the head and Muon
        assertEquals(1.0, muon.lrMultiplier(0), 1e-12);
        assertEquals(1 - 1 / 200.0, muon.lrMultiplier(1), 1e-12);
        assertEquals(0.5, muon.lrMultiplier(100), 1e-12);
        assertEquals(1 - 137 / 200.0, muon.lrMultiplier(137), 1e-12);
        assertEquals(0.005, muon.lrMultiplier(199), 1e-12);
    }

    @Test
    void muonWhiteningBiasDecaysOverItsOwnSeventyFiveStepsThenFreezes() {
        assertEquals(75, muon.whitenBiasSteps());   // ceil(3 * 25)
        assertEquals(1.0, muon.whitenBiasLrMultiplier(0), 1e-12);
        assertEquals(1 - 30 / 75.0, muon.whitenBiasLrMultiplier(30), 1e-12);
        assertEquals(1 / 75.0, muon.whitenBiasLrMultiplier(74), 1e-12);
        assertTrue(muon.trainsWhitenBias(74));
        assertFalse(muon.trainsWhitenBias(75));
        assertFalse(muon.trainsWhitenBias(199));
        // airbench94's whitening bias follows the main triangle
        assertEquals(s94.lrMultiplier(50), s94.whitenBiasLrMultiplier(50), 0.0);
        assertEquals(s94.lrMultiplier(143), s94.whitenBiasLrMultiplier(143), 0.0);
    }

    @Test
    void muonHasNoLookahead() {
        for (int steps = 0; steps <= 200; steps++) {
            assertNull(muon.lookaheadAlpha(steps), "Lookahead at " + steps);
        }
    }

    @Test
    void atGivesEachStepItsMultipliersBiasFlagAndBlend() {
        // Step 4 of airbench94 is followed by the blend after 5 steps: a = 0.95^5 * (5 / 476)^3.
        Schedule.Step step4 = s94.at(4);
        assertEquals(0.2 + 0.8 * 4 / 109.0, step4.lrMultiplier(), 1e-12);
        assertEquals(step4.lrMultiplier(), step4.whitenBiasMultiplier(), 0.0);
        assertTrue(step4.trainsWhitenBias());
        assertEquals(Math.pow(0.95, 5) * Math.pow(5 / 476.0, 3), step4.lookaheadAlpha(), 1e-15);
        // Step 144 is the first without the whitening bias; step 145 has no blend after it (146 is not a multiple).
        assertFalse(s94.at(144).trainsWhitenBias());
        assertNull(s94.at(145).lookaheadAlpha());
        // Step 474 is followed by the blend after 475 steps; the last step (475) by none (476 is no multiple of 5).
        assertEquals(Math.pow(0.95, 5) * Math.pow(475 / 476.0, 3), s94.at(474).lookaheadAlpha(), 1e-15);
        assertNull(s94.at(475).lookaheadAlpha());
        assertEquals(0.07 + 0.93 / 367.0, s94.at(475).lrMultiplier(), 1e-12);
    }

    @Test
    void theRecipesScheduleSettingsReachTheSchedule() {
        // A recipe with another start value, Lookahead period and base: every value comes from the recipe.
        Recipe changed = Recipe.AIRBENCH94.toBuilder().initialLrMultiplier(0.5).lookahead(4, 0.5).build();
        Schedule s = Schedule.of(changed, 48);
        assertEquals(0.5, s.at(0).lrMultiplier(), 0.0);
        assertEquals(0.5 + 0.5 * 10 / 109.0, s.at(10).lrMultiplier(), 1e-12);
        assertNull(s.at(4).lookaheadAlpha(), "after 5 steps: not a multiple of 4");
        assertEquals(0.5 * Math.pow(8 / 476.0, 3), s.at(7).lookaheadAlpha(), 1e-15);
    }

    /** hlb: ceil(48 * 12.1) = 581 steps, PyTorch's OneCycleLR from 0 to 1 at step 132.63 and to 0.07 at step 580. */
    private final Schedule hlb = Schedule.of(Recipe.HLB, 48);

    @Test
    void hlbRisesFromZeroToOneAtStep132Point63AndFallsTo0Point07AtItsLastStep() {
        assertEquals(581, hlb.totalSteps());
        assertEquals(13, hlb.epochCount());
        assertEquals(132.63, hlb.peakStep(), 1e-9);         // 0.23 * 581 - 1
        assertEquals(580, hlb.endStep(), 0.0);
        assertEquals(0.0, hlb.lrMultiplier(0), 0.0);        // the first step has lr 0
        assertEquals(1 / 132.63, hlb.lrMultiplier(1), 1e-12);
        assertEquals(132 / 132.63, hlb.lrMultiplier(132), 1e-12);
        assertEquals(1 - 0.93 * (133 - 132.63) / 447.37, hlb.lrMultiplier(133), 1e-12);
        assertEquals(1 - 0.93 * (400 - 132.63) / 447.37, hlb.lrMultiplier(400), 1e-12);
        assertEquals(0.07, hlb.lrMultiplier(580), 1e-15);
        assertEquals(0.07, hlb.at(580).lrMultiplier(), 1e-15);
        // Its whitening has no bias: it never trains.
        assertEquals(0, hlb.whitenBiasSteps());
        assertFalse(hlb.at(0).trainsWhitenBias());
    }

    @Test
    void hlbTakesItsSlowCopyAfterStep100AndBlendsEveryFifthStepAfterIt() {
        for (int steps = 1; steps < 100; steps++) {
            assertNull(hlb.lookaheadAlpha(steps), "no Lookahead before step 100, at " + steps);
        }
        assertEquals(0.0, hlb.lookaheadAlpha(100), 0.0, "the snapshot: slow = 0 slow + 1 fast");
        for (int steps = 101; steps < 105; steps++) {
            assertNull(hlb.lookaheadAlpha(steps));
        }
        assertEquals(Math.pow(0.95, 5) * Math.pow(105 / 581.0, 3), hlb.lookaheadAlpha(105), 1e-15);
        assertEquals(Math.pow(0.95, 5) * Math.pow(580 / 581.0, 3), hlb.lookaheadAlpha(580), 1e-15);
        assertEquals(0.0, hlb.at(99).lookaheadAlpha(), 0.0, "step index 99 is the 100th step");
        assertNull(hlb.at(580).lookaheadAlpha(), "the 581st step's update never reaches the slow copy");
        assertTrue(hlb.endsOnSlowCopy());
        // Shorter than the start, the run ends on its fast weights; airbench94's copy exists from the start.
        assertFalse(Schedule.of(Recipe.HLB.toBuilder().epochs(2).build(), 48).endsOnSlowCopy());
        assertTrue(s94.endsOnSlowCopy());
        assertFalse(muon.endsOnSlowCopy());
        assertEquals(Math.pow(0.95, 5) * Math.pow(5 / 476.0, 3), s94.lookaheadAlpha(5), 1e-15);
    }
}

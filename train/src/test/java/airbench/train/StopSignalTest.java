package airbench.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import airbench.eval.Evaluator;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The library's stop request: what it holds, and a training of the library (no checkpoint store) stopped by it. */
class StopSignalTest {

    @Test
    void theFirstRequestCountsAndStays() {
        StopSignal stop = new StopSignal();
        assertFalse(stop.requested());
        assertEquals(Optional.empty(), stop.reason());
        assertTrue(stop.request("SIGTERM"));
        assertFalse(stop.request("SIGINT"), "a second request is not the first");
        assertTrue(stop.requested());
        assertEquals(Optional.of("SIGTERM"), stop.reason());
        StopSignal blank = new StopSignal();
        blank.request(" ");
        assertEquals(Optional.of("a stop request"), blank.reason());
    }

    /** A training of the library keeps nothing: it stops after the step it was taking and says so. */
    @Test
    void aLibraryTrainingStopsAfterTheRequestedStepWithNothingKept() {
        StopSignal stop = new StopSignal();
        TinyTraining.Recorder recorder = TinyTraining.Recorder.stoppingAfterStep(2, stop);
        Training training = Training.of(TinyTraining.options("1", "--compile", "none").recipe()).withThreads(2)
                .withListener(recorder).withStopSignal(stop);
        TrainingStoppedException e = assertThrows(TrainingStoppedException.class,
                () -> training.run(SyntheticCifar.make("train", TinyTraining.TRAIN_IMAGES, 1)));
        assertEquals(3, e.steps());
        assertEquals(10, e.totalSteps());
        assertEquals(3, recorder.losses.size(), "no step after the one during which the stop was requested");
        assertEquals(Optional.empty(), e.checkpoint());
        assertTrue(e.getMessage().contains("seed 0 stopped (a test's request after step 3) after step 3 of 10"
                + " (epoch 1, 3 of its 10 steps done); nothing was kept"), e.getMessage());
    }

    /**
     * An epoch-end evaluation through {@link TrainingLoop#unlessStopped} ends at the first batch after a stop
     * request: 1,000 images in batches of 100, the stop asked during the third, so exactly three model calls.
     */
    @Test
    void aStopDuringAnEvaluationEndsItAtTheNextBatch() {
        StopSignal stop = new StopSignal();
        AtomicInteger calls = new AtomicInteger();
        Evaluator evaluator = new Evaluator(TrainingLoop.unlessStopped((images, count) -> {
            if (calls.incrementAndGet() == 3) {
                stop.request("a test's request during the third batch");
            }
            return new float[count * 10];
        }, stop), 100);
        assertThrows(TrainingLoop.EvaluationStopped.class,
                () -> evaluator.evaluate(new float[1000 * 32 * 32 * 3], new int[1000], 10, 0));
        assertEquals(3, calls.get(), "no model call after the request");

        StopSignal never = new StopSignal();
        calls.set(0);
        new Evaluator(TrainingLoop.unlessStopped((images, count) -> {
            calls.incrementAndGet();
            return new float[count * 10];
        }, never), 100).evaluate(new float[1000 * 32 * 32 * 3], new int[1000], 10, 0);
        assertEquals(10, calls.get(), "without a request the evaluation runs every batch");
    }

    /** Where a stop at an epoch's end leaves the run, in the stop line's words. */
    @Test
    void theStopLineSaysWhenAnEpochsEvaluationIsLeftToTheContinuation() {
        Schedule schedule = Schedule.of(TinyTraining.options("2.5").recipe(), 10);
        assertEquals(25, schedule.totalSteps());
        assertEquals("epoch 2's steps done, its test evaluation left to the continuation",
                TrainingLoop.where(schedule, 20, 10));
        assertEquals("every step done, epoch 3's steps done, its test evaluation left to the continuation",
                TrainingLoop.where(schedule, 25, 5));
        assertEquals("at the start of epoch 3", TrainingLoop.where(schedule, 20, 0));
        assertEquals("epoch 3, 4 of its 5 steps done", TrainingLoop.where(schedule, 24, 4));
        assertTrue(schedule.endsEpoch(25) && schedule.endsEpoch(10) && !schedule.endsEpoch(24) && !schedule.endsEpoch(0));
        assertEquals(5, schedule.stepsOfEpochEndingAt(25));
        assertEquals(10, schedule.stepsOfEpochEndingAt(20));
    }
}

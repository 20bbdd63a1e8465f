package airbench.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
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
}

package airbench.train.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import airbench.train.EpochSoFar;
import airbench.train.RunResult;
import airbench.train.StopSignal;
import airbench.train.TinyTraining;
import airbench.train.TinyTraining.Recorder;
import airbench.train.TrainingStoppedException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A training asked to stop ({@link StopSignal}) keeps its state at the step it was taking, and its continuation is
 * bit for bit the training never stopped: every step's loss, the per-epoch history and the final weights. Recipe
 * 94's tiny training (10 steps per epoch, 3 epochs, Lookahead blending after every fifth step) stopped after each
 * kind of step; one uninterrupted run is the reference of all.
 */
class StopAndResumeTest {
    private static final TinyTraining.SyntheticImages SYNTHETIC = TinyTraining.syntheticImages(TinyTraining.TRAIN_IMAGES);
    private static final TrainOptions OPTIONS = TinyTraining.options("3", "--tta", "0");
    private static final int STEPS_PER_EPOCH = 10;
    private static final int TOTAL_STEPS = 30;
    private static final long SEED = 4;

    @TempDir
    static Path shared;
    private static Recorder straight;
    private static RunResult straightResult;

    @BeforeAll
    static void uninterruptedRun() throws Exception {
        straight = Recorder.uninterrupted();
        straightResult = SYNTHETIC.trainer(OPTIONS, straight).run(SEED, shared.resolve("straight"));
        assertEquals(TOTAL_STEPS, straightResult.steps());
    }

    /**
     * Stopped after {@code stepsDone} steps: none (asked before the first step), the first, a mid-epoch step, the
     * fifth and fifteenth (Lookahead blends after them), the last of an epoch (the stop skips its test evaluation,
     * the checkpoint keeps the whole epoch's totals and the continuation evaluates first) and the last of the run
     * (the continuation evaluates that epoch, takes the final slow copy and evaluates the model).
     */
    @ParameterizedTest(name = "stopped after {0} steps")
    @ValueSource(ints = {0, 1, 5, 13, 15, 20, 30})
    void aStoppedTrainingContinuesBitForBit(int stepsDone, @TempDir Path dir) throws Exception {
        Path run = dir.resolve("seed-" + SEED);
        StopSignal stop = new StopSignal();
        Recorder first;
        if (stepsDone == 0) {
            stop.request("a test's request before the first step");
            first = Recorder.uninterrupted();
        } else {
            first = Recorder.stoppingAfterStep(stepsDone - 1, stop);
        }
        Recorder stopping = first;
        TrainingStoppedException e = assertThrows(TrainingStoppedException.class,
                () -> SYNTHETIC.trainer(OPTIONS, stopping, stop).run(SEED, run));
        assertEquals(stepsDone, e.steps());
        assertEquals(TOTAL_STEPS, e.totalSteps());
        assertEquals(run.resolve(RunFolder.CHECKPOINT_FILE), e.checkpoint().orElseThrow());
        assertEquals(stepsDone, first.losses.size(), "the stop lets no further step run");
        assertFalse(Files.exists(run.resolve(RunFolder.RESULT_FILE)));
        assertTrue(e.getMessage().contains("after step " + stepsDone + " of " + TOTAL_STEPS), e.getMessage());

        Checkpoint.Header header = Checkpoint.read(run.resolve(RunFolder.CHECKPOINT_FILE)).header();
        assertEquals(stepsDone, header.steps());
        boolean epochEnd = stepsDone > 0 && stepsDone % STEPS_PER_EPOCH == 0;
        assertEquals(epochEnd, e.getMessage().contains("its test evaluation left to the continuation"), e.getMessage());
        // Steps of the epoch whose record is still to be made: an epoch ended by this stop counts whole.
        int intoEpoch = epochEnd ? STEPS_PER_EPOCH : stepsDone % STEPS_PER_EPOCH;
        assertEquals((stepsDone - intoEpoch) / STEPS_PER_EPOCH, header.history().size(),
                "epochs with a record in the checkpoint");
        assertEquals(epochEnd ? first.epochs.size() + 1 : first.epochs.size(), stepsDone / STEPS_PER_EPOCH,
                "the stopped run reported every epoch but one ended by the stop");
        if (intoEpoch == 0) {
            assertNull(header.epochSoFar(), "a checkpoint before the first step has no epoch under way");
        } else {
            // The running totals, against the reference run's losses of the epoch's steps so far, summed alike.
            EpochSoFar soFar = header.epochSoFar();
            double lossSum = 0;
            for (int step = stepsDone - intoEpoch; step < stepsDone; step++) {
                lossSum += straight.losses.get(step);
            }
            assertEquals(intoEpoch, soFar.steps());
            assertEquals(lossSum, soFar.lossSum(), 0.0);
            assertEquals((long) intoEpoch * TinyTraining.BATCH_SIZE, soFar.images());
        }

        Recorder second = Recorder.uninterrupted();
        RunResult resumed = SYNTHETIC.trainer(OPTIONS, second).run(SEED, run);
        assertEquals(stepsDone, second.starts.get(0).startStep());
        assertEquals(1, resumed.resumedTimes());
        assertEquals(TOTAL_STEPS - stepsDone, second.losses.size());
        assertEquals(3 - first.epochs.size(), second.epochs.size(), "the continuation reports the other epochs");
        TinyTraining.assertSameLosses(straight, first, second, stepsDone, TOTAL_STEPS);
        TinyTraining.assertSameHistory(straightResult.history(), resumed.history());
        TinyTraining.assertSameFinalWeights(shared.resolve("straight"), run);
        assertEquals(straightResult.ttaAccuracy(), resumed.ttaAccuracy());
        assertFalse(Files.exists(run.resolve(RunFolder.CHECKPOINT_FILE)));
    }

    /**
     * Stopped at the end of epoch 1, then stopped again before the continuation's first move (a second preemption
     * right after the restart): the pending evaluation is left once more, and the third session still gives the
     * training never stopped.
     */
    @Test
    void anEpochEndLeftByTwoStopsInARowIsEvaluatedOnceByTheThirdSession(@TempDir Path dir) throws Exception {
        Path run = dir.resolve("seed-" + SEED);
        StopSignal stop1 = new StopSignal();
        Recorder first = Recorder.stoppingAfterStep(9, stop1);
        assertThrows(TrainingStoppedException.class, () -> SYNTHETIC.trainer(OPTIONS, first, stop1).run(SEED, run));

        StopSignal stop2 = new StopSignal();
        stop2.request("a test's request before the continuation starts");
        Recorder second = Recorder.uninterrupted();
        TrainingStoppedException again = assertThrows(TrainingStoppedException.class,
                () -> SYNTHETIC.trainer(OPTIONS, second, stop2).run(SEED, run));
        assertEquals(10, again.steps());
        assertTrue(second.losses.isEmpty() && second.epochs.isEmpty(), "the second session did nothing");
        Checkpoint.Header header = Checkpoint.read(run.resolve(RunFolder.CHECKPOINT_FILE)).header();
        assertEquals(10, header.steps());
        assertEquals(10, header.epochSoFar().steps(), "epoch 1 still waits for its evaluation");
        assertTrue(header.history().isEmpty());

        Recorder third = Recorder.uninterrupted();
        RunResult resumed = SYNTHETIC.trainer(OPTIONS, third).run(SEED, run);
        assertEquals(2, resumed.resumedTimes());
        assertEquals(3, third.epochs.size());
        TinyTraining.assertSameLosses(straight, TOTAL_STEPS, java.util.List.of(first, second, third), 10, 10);
        TinyTraining.assertSameHistory(straightResult.history(), resumed.history());
        TinyTraining.assertSameFinalWeights(shared.resolve("straight"), run);
    }

    /**
     * Stopped as the final evaluation starts, twice in a row: each session ends at the evaluation's first batch with
     * the checkpoint of the last step kept (the second keeps the one it continued from), and the third session takes
     * no step, evaluates and gives the training never stopped.
     */
    @Test
    void aStopDuringTheFinalEvaluationKeepsTheLastStepsCheckpoint(@TempDir Path dir) throws Exception {
        Path run = dir.resolve("seed-" + SEED);
        Path checkpoint = run.resolve(RunFolder.CHECKPOINT_FILE);
        for (int session = 1; session <= 2; session++) {
            StopSignal stop = new StopSignal();
            Recorder stopping = Recorder.stoppingAtTheFinalEvaluation(stop);
            TrainingStoppedException e = assertThrows(TrainingStoppedException.class,
                    () -> SYNTHETIC.trainer(OPTIONS, stopping, stop).run(SEED, run));
            assertEquals(1, stopping.finalEvaluations);
            assertEquals(session == 1 ? TOTAL_STEPS : 0, stopping.losses.size());
            assertEquals(TOTAL_STEPS, e.steps());
            assertEquals(TOTAL_STEPS, e.totalSteps());
            assertEquals(checkpoint, e.checkpoint().orElseThrow(), "session " + session);
            assertTrue(e.getMessage().contains("after step 30 of 30 (every step done, its final evaluation left to the"
                    + " continuation); its state at that step is in " + checkpoint), e.getMessage());
            assertFalse(Files.exists(run.resolve(RunFolder.RESULT_FILE)));
            assertFalse(Files.exists(run.resolve(RunFolder.WEIGHTS_FILE)));
            Checkpoint.Header header = Checkpoint.read(checkpoint).header();
            assertEquals(TOTAL_STEPS, header.steps());
            assertNull(header.epochSoFar());
            assertEquals(3, header.history().size());
        }
        Recorder third = Recorder.uninterrupted();
        RunResult resumed = SYNTHETIC.trainer(OPTIONS, third).run(SEED, run);
        assertTrue(third.losses.isEmpty() && third.epochs.isEmpty(), "nothing left but the evaluation");
        assertEquals(1, third.finalEvaluations);
        TinyTraining.assertSameHistory(straightResult.history(), resumed.history());
        TinyTraining.assertSameFinalWeights(shared.resolve("straight"), run);
        assertEquals(straightResult.ttaAccuracy(), resumed.ttaAccuracy());
        assertEquals(straightResult.accuracyByTtaLevel(), resumed.accuracyByTtaLevel());
        assertFalse(Files.exists(checkpoint));
    }

    /** {@code --checkpoint-every 3}: a crash after step 14 continues from the checkpoint of step 12, bit for bit. */
    @Test
    void checkpointsEveryNStepsLetACrashedTrainingContinueFromTheLastOne(@TempDir Path dir) throws Exception {
        TrainOptions every3 = TinyTraining.options("3", "--tta", "0", "--checkpoint-every", "3");
        assertEquals(3, every3.checkpointEvery());
        Path run = dir.resolve("seed-" + SEED);
        Recorder first = Recorder.crashingAfterStep(13);
        Checkpoint.Contents checkpoint = SYNTHETIC.runUntilCrash(every3, first, SEED, run);
        assertEquals(12, checkpoint.header().steps(), "saved at steps 3, 6, 9, 10 (epoch end) and 12");
        assertEquals(2, checkpoint.header().epochSoFar().steps());

        Recorder second = Recorder.uninterrupted();
        RunResult resumed = SYNTHETIC.trainer(every3, second).run(SEED, run);
        assertEquals(12, second.starts.get(0).startStep());
        TinyTraining.assertSameLosses(straight, first, second, 12, TOTAL_STEPS);
        TinyTraining.assertSameHistory(straightResult.history(), resumed.history());
        TinyTraining.assertSameFinalWeights(shared.resolve("straight"), run);
    }

    @Test
    void checkpointEveryTakesAWholeNumberOfStepsOnly() {
        UsageException e = assertThrows(UsageException.class,
                () -> TinyTraining.options("3", "--checkpoint-every", "-2"));
        assertTrue(e.getMessage().contains("--checkpoint-every") && e.getMessage().contains("-2"), e.getMessage());
        assertEquals(0, TinyTraining.options("3").checkpointEvery(), "epoch ends only by default");
    }
}

package airbench.train.run;

import airbench.train.RunResult;
import airbench.train.TinyTraining;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A tiny training of 3 epochs (30 steps) interrupted after epoch 1 and again after epoch 2, then resumed, is the
 * uninterrupted one bit for bit: every step's loss and the final weights. Each recipe is interrupted where its own
 * state is at stake.
 */
class RecipeResumeTest {
    private static final TinyTraining.SyntheticImages SYNTHETIC = TinyTraining.syntheticImages(TinyTraining.TRAIN_IMAGES);

    /**
     * A recipe's tiny options, and what its checkpoints after steps 10 and 20 must hold besides their step count.
     */
    record Case(String name, Supplier<TrainOptions> options,
                BiConsumer<Checkpoint.Contents, Checkpoint.Contents> atSteps10And20) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Case> recipes() {
        return Stream.of(
                // Step 10 lies inside a gap between renormalizations; the losses compared carry the colour jitter of
                // each pass and the renormalization flags.
                new Case("94hiverge", () -> HivergeTrainingTest.tinyHiverge("3"), (atStep10, atStep20) -> {}),
                // CutMix from epoch 1, and a slow copy not yet taken at step 10 and taken and blended by step 20.
                new Case("hlb", () -> HlbTrainingTest.tinyHlb("3"), HlbTrainingTest::assertTheSlowCopyAcrossItsStart));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("recipes")
    void resumingAfterEpochsOneAndTwoIsBitExact(Case recipe, @TempDir Path dir) throws Exception {
        TrainOptions options = recipe.options().get();
        TinyTraining.Recorder straight = TinyTraining.Recorder.uninterrupted();
        SYNTHETIC.trainer(options, straight).run(7, dir.resolve("straight"));

        Path interrupted = dir.resolve("interrupted");
        TinyTraining.Recorder first = TinyTraining.Recorder.crashingAfterEpoch(1);
        Checkpoint.Contents atStep10 = SYNTHETIC.runUntilCrash(options, first, 7, interrupted);
        assertEquals(10, atStep10.header().steps());
        TinyTraining.Recorder second = TinyTraining.Recorder.crashingAfterEpoch(2);
        Checkpoint.Contents atStep20 = SYNTHETIC.runUntilCrash(options, second, 7, interrupted);
        assertEquals(20, atStep20.header().steps());
        recipe.atSteps10And20().accept(atStep10, atStep20);

        TinyTraining.Recorder third = TinyTraining.Recorder.uninterrupted();
        RunResult resumed = SYNTHETIC.trainer(options, third).run(7, interrupted);
        assertEquals(2, resumed.resumedTimes());
        TinyTraining.assertSameLosses(straight, 30, List.of(first, second, third), 10, 20);
        TinyTraining.assertSameFinalWeights(dir.resolve("straight"), interrupted);
    }
}

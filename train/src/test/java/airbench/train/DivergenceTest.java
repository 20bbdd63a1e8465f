package airbench.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import airbench.data.CifarDataset;
import airbench.model.CpuFeatures;
import airbench.model.ExecutionPlan;
import airbench.model.OptimizerSpec;
import airbench.model.Precision;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A training whose loss stops being finite ends with a {@link TrainingDivergedException} that says where and what to
 * check; in bf16 it also names the fp32 run that tells whether bfloat16 is the cause.
 */
class DivergenceTest {
    private static final String BF16_HINT = "the convolutions ran in bfloat16: the same run with --precision fp32"
            + " tells whether that is the cause";

    @Test
    void theMessageSaysWhereTheLossBrokeAndWhatToCheck() {
        assertEquals("the training loss became NaN at step 3 (epoch 1) of seed 5; the run diverged. Check the data"
                        + " (a degraded copy can do this) or lower the learning rate",
                TrainingLoop.divergedMessage(Double.NaN, 2, 0, 5, Precision.FP32, Optional.empty()));
        assertEquals("the training loss became Infinity at step 12 (epoch 2) of seed 0; the run diverged. Check the"
                        + " data (a degraded copy can do this) or lower the learning rate; the last good checkpoint is"
                        + " in " + Path.of("runs", "a", "seed-0"),
                TrainingLoop.divergedMessage(Double.POSITIVE_INFINITY, 11, 1, 0, Precision.FP32,
                        Optional.of(Path.of("runs", "a", "seed-0"))));
    }

    @Test
    void inBf16TheMessageAlsoNamesTheFp32RunThatRulesBfloat16Out() {
        assertEquals("the training loss became NaN at step 3 (epoch 1) of seed 5; the run diverged. Check the data"
                        + " (a degraded copy can do this) or lower the learning rate; " + BF16_HINT,
                TrainingLoop.divergedMessage(Double.NaN, 2, 0, 5, Precision.BF16, Optional.empty()));
        assertEquals("the training loss became NaN at step 3 (epoch 1) of seed 5; the run diverged. Check the data"
                        + " (a degraded copy can do this) or lower the learning rate; " + BF16_HINT
                        + "; the last good checkpoint is in " + Path.of("runs", "a", "seed-5"),
                TrainingLoop.divergedMessage(Double.NaN, 2, 0, 5, Precision.BF16,
                        Optional.of(Path.of("runs", "a", "seed-5"))));
    }

    /**
     * A learning rate of 1e30 per 1024 examples (airbench94's is 11.5) drives the weights past what float32 holds
     * within the first steps of a tiny training: the run stops there, with the hint only when it ran in bf16.
     */
    @ParameterizedTest
    @ValueSource(strings = {"fp32", "bf16"})
    void aTrainingWhoseLossOverflowsStopsWithTheMessageOfItsPrecision(String precision) {
        CifarDataset train = SyntheticCifar.make("train", 2560, 1);
        Recipe recipe = Recipe.AIRBENCH94.toBuilder().widths(List.of(16, 32, 32)).epochs(1)
                .optimizer(new OptimizerSpec(256, 1e30, 0.85, 0.0153, 64)).build();
        Training training = Training.of(recipe).withExecution(ExecutionPlan.resolve(precision, "none",
                CpuFeatures.detect())).withThreads(2).withListener(new TrainingListener() {});
        TrainingDivergedException e = assertThrows(TrainingDivergedException.class, () -> training.run(train).close());
        assertTrue(e.getMessage().startsWith("the training loss became "), e.getMessage());
        assertTrue(e.getMessage().contains("of seed 0; the run diverged."), e.getMessage());
        assertEquals(precision.equals("bf16"), e.getMessage().contains(BF16_HINT), e.getMessage());
    }
}

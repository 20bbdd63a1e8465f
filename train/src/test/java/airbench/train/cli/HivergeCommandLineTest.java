package airbench.train.cli;

import airbench.data.FlipMode;
import airbench.model.Activation;
import airbench.model.MuonSpec;
import airbench.train.Recipe;
import airbench.train.run.TrainOptionTable;
import airbench.train.run.TrainOptions;
import airbench.train.sweep.Axis;
import airbench.train.sweep.RunSpec;
import airbench.train.sweep.SweepPlan;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/**
 * {@code --recipe 94hiverge} through the command line where it differs from the other recipes: its overrides and a
 * sweep's runs. Listed, accepted with every option, by its property, on CIFAR-100 and resumed:
 * {@code RecipeCommandLineTest}. Training itself, resumption and the result files: {@code run.HivergeTrainingTest}.
 */
class HivergeCommandLineTest {
    private static TrainOptions resolve(String... args) {
        return TrainOptions.resolve(TrainOptionTable.parse(args, new Properties()));
    }

    @Test
    void theOverridesChangeOnlyTheirSettingOfHiverge() {
        TrainOptions o = resolve("--recipe", "94hiverge", "--epochs", "2", "--batch-size", "512", "--flip", "random",
                "--widths", "32,64,128", "--tta-fraction", "0.5");
        Recipe expected = Recipe.HIVERGE.toBuilder().epochs(2).batchSize(512).flip(FlipMode.RANDOM)
                .widths(List.of(32, 64, 128)).ttaSelective(0.5).build();
        assertEquals(expected, o.recipe());
        assertEquals(Activation.SILU, o.recipe().network().blockActivation(), "--widths keeps the activation");
        assertEquals(MuonSpec.HIVERGE.renormalization(), ((MuonSpec) o.recipe().optimizer()).renormalization());
        assertEquals(1.0418e-6 * 512, ((MuonSpec) o.recipe().optimizer()).muonWeightDecay(), 1e-15,
                "the decay follows the batch");
        assertEquals(0.9, resolve("--recipe", "94hiverge", "--claim-above", "0.9").claimAbove());
        assertEquals(0.94, resolve("--recipe", "94hiverge").claimAbove());
    }

    @Test
    void aSweepsRunsResolveToHiverge() {
        SweepPlan plan = new SweepPlan(Map.of("recipe", "94hiverge", "epochs", "2"),
                List.of(new Axis("tta", List.of("selective", "2"))), List.of(0L, 1L));
        assertEquals(4, plan.runs().size());
        for (RunSpec run : plan.runs()) {
            Recipe r = TrainOptions.resolve(run.options()).recipe();
            assertEquals("94hiverge", r.name());
            assertEquals(Recipe.HIVERGE.toBuilder().epochs(2).ttaLevel(r.ttaLevel()).ttaSelective(r.ttaSelective())
                    .build(), r);
            assertTrue(r.ttaLevel() == 2 ? r.ttaSelective() == 0 : r.ttaSelective() == 0.25, r.describe());
        }
    }
}

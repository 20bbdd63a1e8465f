package airbench.train.cli;

import airbench.data.FlipMode;
import airbench.model.IdentityInit;
import airbench.train.Recipe;
import airbench.train.run.TrainOptionTable;
import airbench.train.run.TrainOptions;
import airbench.train.sweep.Axis;
import airbench.train.sweep.RunSpec;
import airbench.train.sweep.SweepPlan;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/**
 * {@code --recipe hlb} through the command line where it differs from the other recipes: its overrides and a sweep's
 * runs. Listed, accepted with every option, by its property, on CIFAR-100 and resumed: {@code RecipeCommandLineTest}.
 * Training itself, resumption and the result files: {@code run.HlbTrainingTest}.
 */
class HlbCommandLineTest {
    private static TrainOptions resolve(String... args) {
        return TrainOptions.resolve(TrainOptionTable.parse(args, new Properties()));
    }

    @Test
    void theOverridesChangeOnlyTheirSettingOfHlb() {
        TrainOptions o = resolve("--recipe", "hlb", "--epochs", "2", "--batch-size", "512", "--flip", "alternating",
                "--widths", "32,64,128", "--tta", "2");
        Recipe expected = Recipe.HLB.toBuilder().epochs(2).batchSize(512).flip(FlipMode.ALTERNATING)
                .widths(List.of(32, 64, 128)).ttaLevel(2).build();
        assertEquals(expected, o.recipe());
        assertEquals(IdentityInit.ADD_AND_RENORMALIZE, o.recipe().network().firstConvIdentity(), "--widths keeps the init");
    }

    @Test
    void aSweepsRunsResolveToHlb() {
        SweepPlan plan = new SweepPlan(Map.of("recipe", "hlb", "epochs", "2"),
                List.of(new Axis("flip", List.of("random", "alternating")), new Axis("tta", List.of("1", "2"))),
                List.of(0L, 1L));
        assertEquals(8, plan.runs().size());
        for (RunSpec run : plan.runs()) {
            Recipe r = TrainOptions.resolve(run.options()).recipe();
            assertEquals("hlb", r.name());
            assertEquals(Recipe.HLB.toBuilder().epochs(2).flip(r.augment().flip()).ttaLevel(r.ttaLevel()).build(), r);
        }
    }
}

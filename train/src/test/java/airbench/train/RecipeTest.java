package airbench.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import airbench.data.FlipMode;
import airbench.model.GroupRule;
import airbench.model.HeadScale;
import airbench.model.MuonSpec;
import airbench.model.NetworkSpec;
import airbench.model.ParameterGroup;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The 94muon preset holds METHOD.md section 10's numbers. */
class RecipeTest {

    @Test
    void muonPresetHasTheRecordsNumbers() {
        Recipe r = Recipe.preset("94muon").orElseThrow();
        assertEquals(8.0, r.epochs());
        assertEquals(2000, r.optimizer().batchSize());
        assertEquals(0.2, r.optimizer().labelSmoothing());
        assertEquals(0.0, r.warmupFraction());
        assertEquals(0.0, r.finalLrMultiplier());
        assertEquals(3.0, r.whitenBiasEpochs());
        assertEquals(2, r.ttaLevel());
        assertEquals(2, r.augment().translate());
        assertEquals(0, r.augment().cutout());
        assertEquals(FlipMode.ALTERNATING, r.augment().flip());
        assertEquals(List.of(64, 256, 256), r.network().widths());
        assertEquals(0.6, r.network().batchNormMemory());
        assertEquals(HeadScale.INPUT_WIDTH, r.network().head());
        assertEquals(NetworkSpec.AIRBENCH94.parameterCount(), r.network().parameterCount());

        double wd = 2e-6 * 2000;   // 0.004
        assertEquals(new GroupRule.NesterovSgd(0.053, wd, 0.85), r.optimizer().rule(ParameterGroup.WHITEN_BIAS));
        assertEquals(new GroupRule.NesterovSgd(0.053, wd, 0.85), r.optimizer().rule(ParameterGroup.NORM_SHIFTS));
        assertEquals(new GroupRule.NesterovSgd(0.67, wd, 0.85), r.optimizer().rule(ParameterGroup.HEAD));
        assertEquals(new GroupRule.MuonFilters(0.24, 0.6), r.optimizer().rule(ParameterGroup.FILTERS));
        assertTrue(!r.optimizer().usesLookahead());
        assertEquals(0.004, ((MuonSpec) r.optimizer()).weightDecay(), 1e-15);
    }

    @Test
    void airbench94KeepsItsSgdGroups() {
        var o = Recipe.AIRBENCH94.optimizer();
        double lr = 11.5 / (1024 * (1 + 1 / (1 - 0.85)));
        double wd = 0.0153 * 1024 / (1024 * (1 + 1 / (1 - 0.85)));
        assertEquals(new GroupRule.NesterovSgd(lr, wd, 0.85), o.rule(ParameterGroup.FILTERS));
        assertEquals(new GroupRule.NesterovSgd(lr, wd, 0.85), o.rule(ParameterGroup.WHITEN_BIAS));
        assertEquals(new GroupRule.NesterovSgd(lr, wd, 0.85), o.rule(ParameterGroup.HEAD));
        assertEquals(new GroupRule.NesterovSgd(lr * 64, wd, 0.85), o.rule(ParameterGroup.NORM_SHIFTS));
        assertTrue(o.usesLookahead());
    }

    @Test
    void muonIsListedAndDescribed() {
        assertEquals(List.of("94", "95", "96", "94muon"), Recipe.presetNames());
        String text = Recipe.AIRBENCH94_MUON.describe();
        for (String expected : List.of("recipe 94muon", "Muon, lr 0.24", "head                   SGD lr 0.67",
                "lookahead              none", "/ 256 (its width), weight init std 1", "decay per step 0.00400000")) {
            assertTrue(text.contains(expected), "no '" + expected + "' in" + System.lineSeparator() + text);
        }
    }
}

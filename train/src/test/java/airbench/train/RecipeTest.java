package airbench.train;

import airbench.train.run.Json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import airbench.data.AugmentSpec;
import airbench.data.FlipMode;
import airbench.model.Activation;
import airbench.model.GroupRule;
import airbench.model.HeadScale;
import airbench.model.IdentityInit;
import airbench.model.LossSpec;
import airbench.model.MuonSpec;
import airbench.model.NetworkSpec;
import airbench.model.OptimizerSpec;
import airbench.model.ParameterGroup;
import airbench.model.ProxyFilterSpec;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The 94muon and 96faster presets hold docs/METHOD.md sections 10 and 11's numbers. */
@SuppressWarnings("unchecked")
class RecipeTest {

    @Test
    void muonPresetHasTheRecordsNumbers() {
        Recipe r = Recipe.preset("94muon").orElseThrow();
        assertEquals(8.0, r.epochs());
        assertEquals(2000, r.optimizer().batchSize());
        assertEquals(0.2, r.labelSmoothing());
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
    void fasterPresetHasSectionElevensNumbers() {
        Recipe r = Recipe.preset("96faster").orElseThrow();
        assertEquals(45.0, r.epochs());
        assertEquals(new OptimizerSpec(1024, 9.0, 0.85, 0.012, 64), r.optimizer());
        assertEquals(NetworkSpec.AIRBENCH96, r.network());
        assertEquals(4, r.augment().translate());
        assertEquals(12, r.augment().cutout());
        assertEquals(FlipMode.ALTERNATING, r.augment().flip());
        assertEquals(0.1, r.warmupFraction());
        assertEquals(0.0, r.finalLrMultiplier());
        assertEquals(2, r.ttaLevel());
        ProxyFilterSpec filter = r.filter();
        assertEquals(new NetworkSpec(List.of(32, 64, 64), 2, false, 0.9, 10, HeadScale.NINTH), filter.proxy());
        assertEquals(512, filter.keep());
        assertEquals(4, filter.proxyStepEvery());

        Schedule schedule = Schedule.of(r, 50_000 / 1024);
        assertEquals(2160, schedule.totalSteps());      // ceil(48 * 45)
        assertEquals(216, schedule.warmupSteps());      // floor(0.1 * 2160)
        assertEquals(1.0, schedule.lrMultiplier(216), 1e-12);
        assertEquals(1 - (1000 - 216) / 1944.0, schedule.lrMultiplier(1000), 1e-12);
        // As published, the whitening bias trains to the end; --whiten-bias-epochs 3 freezes it after 144 steps.
        assertTrue(schedule.trainsWhitenBias(2159));
        Schedule intended = Schedule.of(r.toBuilder().whitenBiasEpochs(3).build(), 48);
        assertTrue(intended.trainsWhitenBias(143));
        assertTrue(!intended.trainsWhitenBias(144));
    }

    @Test
    void onlyTheFilteredRecipeRecordsAFilter() {
        // The other recipes' JSON keeps its form, so results and checkpoints written before the field still match.
        for (Recipe r : List.of(Recipe.AIRBENCH94, Recipe.AIRBENCH95, Recipe.AIRBENCH96, Recipe.AIRBENCH94_MUON)) {
            assertTrue(!Json.toMap(r).containsKey("filter"), r.name());
        }
        Map<String, Object> filter = (Map<String, Object>) Json.toMap(Recipe.AIRBENCH96_FASTER).get("filter");
        assertEquals(512, filter.get("keep"));
        assertEquals(4, filter.get("proxy_step_every"));
        assertEquals(List.of(32, 64, 64), ((Map<String, Object>) filter.get("proxy")).get("widths"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Recipe.AIRBENCH96_FASTER.toBuilder().optimizer(Recipe.AIRBENCH96_FASTER.optimizer().withBatchSize(256))
                        .build());
        assertEquals("the proxy filter keeps 512 examples of each batch, more than the batch size 256", e.getMessage());
        String text = Recipe.AIRBENCH96_FASTER.describe();
        for (String expected : List.of("recipe 96faster", "the 512 of each batch of 1024 with the highest proxy loss",
                "proxy widths           [32, 64, 64]", "every 4 steps", "straddle epoch boundaries",
                "it trains for the whole run")) {
            assertTrue(text.contains(expected), "no '" + expected + "' in" + System.lineSeparator() + text);
        }
    }

    @Test
    void muonIsListedAndDescribed() {
        assertEquals(List.of("94", "95", "96", "94muon", "96faster", "hlb", "94hiverge"), Recipe.presetNames());
        String text = Recipe.AIRBENCH94_MUON.describe();
        for (String expected : List.of("recipe 94muon", "Muon, lr 0.24", "head                   SGD lr 0.67",
                "lookahead              none", "/ 256 (its width), weight init std 1", "decay per step 0.00400000")) {
            assertTrue(text.contains(expected), "no '" + expected + "' in" + System.lineSeparator() + text);
        }
    }

    @Test
    void airbench94HoldsEveryNumberOfTheMethodByName() {
        Recipe r = Recipe.AIRBENCH94;
        assertEquals(9.9, r.epochs());
        assertEquals(2, r.augment().translate());
        assertEquals(0, r.augment().cutout());
        assertEquals(FlipMode.ALTERNATING, r.augment().flip());
        assertEquals(List.of(64, 256, 256), r.network().widths());
        assertEquals(1e-12, r.network().batchNormEpsilon());
        assertEquals(5000, r.whitenImages());
        assertEquals(5e-4, r.whitenEpsilon());
        assertEquals(3.0, r.whitenBiasEpochs());
        assertEquals(new OptimizerSpec(1024, 11.5, 0.85, 0.0153, 64), r.optimizer());
        assertEquals(0.23, r.warmupFraction());
        assertEquals(0.2, r.initialLrMultiplier());
        assertEquals(0.07, r.finalLrMultiplier());
        assertEquals(5, r.lookaheadEvery());
        assertEquals(0.95 * 0.95 * 0.95 * 0.95 * 0.95, r.lookaheadBase(), 1e-15);
        assertEquals(2, r.ttaLevel());
        assertEquals(2000, r.evalBatch());
    }

    @Test
    void theOtherPresetsDifferFromAirbench94OnlyWhereTheMethodSaysSo() {
        Map<String, Object> base = Json.toMap(Recipe.AIRBENCH94);
        Map<String, List<String>> differences = Map.of(
                "95", List.of("name", "epochs", "optimizer", "network"),
                "96", List.of("name", "epochs", "optimizer", "network", "augment", "warmup_fraction",
                        "final_lr_multiplier"),
                "94muon", List.of("name", "epochs", "optimizer", "network", "warmup_fraction", "final_lr_multiplier",
                        "whiten_bias_own_decay", "lookahead_every", "lookahead_base"),
                "96faster", List.of("name", "epochs", "optimizer", "network", "augment", "warmup_fraction",
                        "final_lr_multiplier", "whiten_bias_epochs", "filter"),
                "hlb", List.of("name", "epochs", "augment", "network", "whiten_images", "whiten_epsilon",
                        "whiten_centred", "whiten_bias_epochs", "loss_scale", "optimizer", "lr_shape",
                        "initial_lr_multiplier", "lookahead_start", "tta_level"),
                "94hiverge", List.of("name", "epochs", "augment", "network", "whiten_images", "whiten_bias_epochs",
                        "label_smoothing", "optimizer", "warmup_fraction", "final_lr_multiplier",
                        "whiten_bias_own_decay", "lookahead_every", "lookahead_base", "tta_level", "tta_selective"));
        differences.forEach((name, expected) -> {
            Map<String, Object> other = Json.toMap(Recipe.preset(name).orElseThrow());
            List<String> differing = new java.util.ArrayList<>();
            for (String key : other.keySet()) {
                if (!other.get(key).equals(base.get(key))) {
                    differing.add(key);
                }
            }
            assertEquals(new java.util.TreeSet<>(expected), new java.util.TreeSet<>(differing), name);
        });
    }

    @Test
    void toBuilderRebuildsTheSameRecipeAndBuildRefusesWhatIsMissingOrWrong() {
        for (Recipe r : Recipe.presets()) {
            assertEquals(r, r.toBuilder().build(), r.name());
        }
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> Recipe.builder("new").epochs(1).build());
        assertTrue(missing.getMessage().startsWith("recipe new: "), missing.getMessage());
        IllegalArgumentException mismatch = assertThrows(IllegalArgumentException.class,
                () -> Recipe.AIRBENCH94.toBuilder().noLookahead().build());
        assertTrue(mismatch.getMessage().startsWith("Lookahead every 0 steps does not match the optimizer, which keeps a"
                + " slow copy"), mismatch.getMessage());
        IllegalArgumentException epsilon = assertThrows(IllegalArgumentException.class,
                () -> Recipe.AIRBENCH94.toBuilder().whitenEpsilon(0).build());
        assertEquals("whitenEpsilon must be positive, got 0.0", epsilon.getMessage());
    }

    @Test
    void batchSizeAndClassCountFollowThroughTheOptimizerAndTheProxy() {
        Recipe r = Recipe.AIRBENCH96_FASTER.toBuilder().batchSize(256).numClasses(100).build();
        assertEquals(256, r.optimizer().batchSize());
        assertEquals(128, r.filter().keep(), "half of each batch, as 512 of 1,024");
        assertEquals(100, r.network().numClasses());
        assertEquals(100, r.filter().proxy().numClasses());
    }

    /** hlb-CIFAR10 v0.7.0 (docs/METHOD.md section 13), every number that differs from airbench94. */
    @Test
    void hlbPresetHasSectionThirteensNumbers() {
        Recipe r = Recipe.preset("hlb").orElseThrow();
        assertEquals(12.1, r.epochs());
        assertEquals(new AugmentSpec(2, 0, FlipMode.RANDOM, true, 3, 7), r.augment());
        assertEquals(9 / 1024f, r.augment().cutmixShare(), 0f);
        assertEquals(List.of(64, 256, 512), r.network().widths());
        assertEquals(2, r.network().convsPerBlock());
        assertTrue(!r.network().residual());
        assertEquals(0.6, r.network().batchNormMemory());
        assertEquals(1e-12, r.network().batchNormEpsilon());
        assertEquals(HeadScale.NINTH, r.network().head());
        assertEquals(IdentityInit.ADD_AND_RENORMALIZE, r.network().firstConvIdentity());
        assertEquals(50_000, r.whitenImages());
        assertEquals(1e-2, r.whitenEpsilon());
        assertTrue(r.whitenCentred());
        assertEquals(0.0, r.whitenBiasEpochs(), "no whitening bias: it never trains and stays 0");
        assertEquals(new LossSpec(0.2, 0.5, true), r.loss());
        assertEquals(LrShape.ONE_CYCLE, r.lrShape());
        assertEquals(0.23, r.warmupFraction());
        assertEquals(0.0, r.initialLrMultiplier());
        assertEquals(0.07, r.finalLrMultiplier());
        assertEquals(5, r.lookaheadEvery());
        assertEquals(Math.pow(0.95, 5), r.lookaheadBase(), 1e-15);
        assertEquals(100, r.lookaheadStart());
        assertEquals(1, r.ttaLevel());
        assertEquals(1024, r.optimizer().batchSize());
        // The rates as hlb gives them to PyTorch's SGD, as the graph's float constants: lr, and the decay
        // coefficient coupled into the gradient (wd / lr of the group).
        GroupRule.NesterovSgd weights = (GroupRule.NesterovSgd) r.optimizer().rule(ParameterGroup.FILTERS);
        GroupRule.NesterovSgd shifts = (GroupRule.NesterovSgd) r.optimizer().rule(ParameterGroup.NORM_SHIFTS);
        assertEquals(r.optimizer().rule(ParameterGroup.HEAD), weights);
        assertEquals(0.85, weights.momentum());
        assertEquals(0.002978515625f, (float) weights.learningRate());
        assertEquals(0.6847488f, (float) (weights.weightDecay() / weights.learningRate()));
        assertEquals(0.190625f, (float) shifts.learningRate());
        assertEquals(0.0106992f, (float) (shifts.weightDecay() / shifts.learningRate()));
        assertEquals(1.525 / 512, weights.learningRate(), 1e-18);
        assertEquals(1.525 / 512 * 6.687e-4 * 1024, weights.weightDecay(), 1e-15);
        Schedule schedule = Schedule.of(r, 50_000 / 1024);
        assertEquals(581, schedule.totalSteps());
        assertEquals(0.0, schedule.lrMultiplier(0));
    }

    @Test
    void hlbIsDescribedByItsPieces() {
        String text = Recipe.HLB.describe();
        for (String expected : List.of("recipe hlb", "(shifts -2 .. +1, hlb's off-by-one)", "flip                   random",
                "3 x 3 from epoch 7 (0-based) on, target mixed by area 9/1024", "widths                 [64, 256, 512]",
                "identity added, then renormalized", "from the first 50000 training images, centred covariance,"
                        + " eigenvalue epsilon 0.01", "(it never trains: no whitening bias)", "times 0.5 in the gradient",
                "OneCycleLR", "slow copy taken after step 100", "TTA level              1")) {
            assertTrue(text.contains(expected), "no '" + expected + "' in" + System.lineSeparator() + text);
        }
        String base = Recipe.AIRBENCH94.describe();
        for (String expected : List.of("(shifts -2 .. +2)", "CutMix (px)            none",
                "first filters replaced by the identity", "second moment")) {
            assertTrue(base.contains(expected), "no '" + expected + "' in" + System.lineSeparator() + base);
        }
    }

    @Test
    void theNewSettingsAreRefusedWhereTheyCannotWork() {
        IllegalArgumentException start = assertThrows(IllegalArgumentException.class,
                () -> Recipe.HLB.toBuilder().lookaheadStart(102).build());
        assertEquals("lookaheadStart must be a multiple (>= 0) of lookaheadEvery 5 (0 without Lookahead), got 102",
                start.getMessage());
        IllegalArgumentException filtered = assertThrows(IllegalArgumentException.class,
                () -> Recipe.AIRBENCH96_FASTER.toBuilder().cutmix(3).build());
        assertTrue(filtered.getMessage().startsWith("CutMix (cutmix 3)"), filtered.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Recipe.HLB.toBuilder().lossScale(0).build());
        // Any recipe may take any piece: airbench94 with hlb's CutMix and schedule shape.
        Recipe mixed = Recipe.AIRBENCH94.toBuilder().cutmix(3).cutmixFromEpoch(7).lrShape(LrShape.ONE_CYCLE).build();
        assertTrue(mixed.loss().softTargets());
        assertTrue(!Recipe.AIRBENCH94.loss().softTargets());
        assertEquals(new LossSpec(0.2), Recipe.AIRBENCH94.loss());
    }

    /** The hiverge record (docs/METHOD.md section 14), every number that differs from 94muon. */
    @Test
    void hivergePresetHasSectionFourteensNumbers() {
        Recipe r = Recipe.preset("94hiverge").orElseThrow();
        assertEquals(new AugmentSpec(2, 0, FlipMode.ALTERNATING, false, 0, 0, 0.1399, 0.1308), r.augment());
        assertEquals(List.of(64, 256, 256), r.network().widths());
        assertEquals(Activation.SILU, r.network().blockActivation());
        assertEquals(0.5566, r.network().batchNormMemory());
        assertEquals(1e-12, r.network().batchNormEpsilon());
        assertEquals(HeadScale.INPUT_WIDTH, r.network().head());
        assertEquals(960, r.whitenImages());
        assertEquals(5e-4, r.whitenEpsilon());
        assertTrue(!r.whitenCentred());
        assertEquals(new LossSpec(0.09, 1, false), r.loss());
        assertEquals(MuonSpec.HIVERGE, r.optimizer());
        assertEquals(1536, r.optimizer().batchSize());
        assertEquals(0, r.lookaheadEvery());
        assertEquals(0, r.ttaLevel(), "plain logits for the images selective TTA leaves");
        assertEquals(0.25, r.ttaSelective());
        for (Recipe other : List.of(Recipe.AIRBENCH94, Recipe.AIRBENCH94_MUON, Recipe.HLB)) {
            assertEquals(0.0, other.ttaSelective(), other.name());
        }
        IllegalArgumentException level2 = assertThrows(IllegalArgumentException.class,
                () -> r.toBuilder().ttaLevel(2).build());
        assertTrue(level2.getMessage().contains("give level 0, or ttaSelective 0"), level2.getMessage());

        Schedule schedule = Schedule.of(r, 50_000 / 1536);
        assertEquals(32, schedule.stepsPerEpoch());
        assertEquals(243, schedule.totalSteps());          // ceil(7.59 * 32)
        assertEquals(8, schedule.epochCount());             // 7 full passes and 19 steps of the 8th
        assertEquals(243 - 7 * 32, 19);
        for (int k = 0; k < 243; k++) {
            assertEquals(1 - k / 243.0, schedule.lrMultiplier(k), 1e-12, "step " + k);
            assertEquals(k < 7, schedule.trainsWhitenBias(k), "step " + k);
            if (k < 7) {
                assertEquals(1 - k / 7.0, schedule.whitenBiasLrMultiplier(k), 1e-12, "step " + k);
            }
        }
        List<Integer> renormalized = new java.util.ArrayList<>();
        for (int k = 0; k < 243; k++) {
            if (schedule.at(k).renormalizesFilters()) {
                renormalized.add(k + 1);
            }
        }
        assertEquals(List.of(2, 4, 6, 8, 10, 12, 14, 16, 19, 22, 25, 28, 31, 35, 39, 43, 47, 52, 57, 62, 68, 74, 80,
                87, 94, 102, 110, 119, 128, 138, 149, 160, 172, 185, 199, 214, 230), renormalized);
        // every other recipe renormalizes (if it has Muon) at every step
        Schedule muon = Schedule.of(Recipe.AIRBENCH94_MUON, 25);
        for (int k = 0; k < muon.totalSteps(); k++) {
            assertTrue(muon.at(k).renormalizesFilters());
        }
    }

    @Test
    void hivergeIsDescribedByItsPieces() {
        String text = Recipe.HIVERGE.describe();
        for (String expected : List.of("recipe 94hiverge", "epochs                 7.59",
                "colour jitter          x = (x + b) c per image and pass, b ~ U(-0.1399, 0.1399), c ~ U(1 - 0.1308,"
                        + " 1 + 0.1308)", "block activation       SiLU (GELU after the whitening conv)",
                "BatchNorm memory       0.5566", "from the first 960 training images", "label smoothing        0.09",
                "Muon, lr 0.205, momentum (Nesterov) 0.655, decoupled decay", "Newton-Schulz (a,b,c)  (3.4576, -4.7391,"
                        + " 2.0843)", "filter renormalization when s - last >= 2 + floor(15 s / total steps)",
                "SGD momentum           0.825", "selective TTA          the least confident 0.25 of the test images"
                        + " get the mean of six views (1/6 each), the rest level 0")) {
            assertTrue(text.contains(expected), "no '" + expected + "' in" + System.lineSeparator() + text);
        }
        String muon = Recipe.AIRBENCH94_MUON.describe();
        for (String expected : List.of("colour jitter          none", "block activation       GELU",
                "filter renormalization every step", "no weight decay", "selective TTA          none")) {
            assertTrue(muon.contains(expected), "no '" + expected + "' in" + System.lineSeparator() + muon);
        }
    }

    @Test
    void aFilteredRecipeRefusesMuonThatSkipsRenormalizations() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Recipe.AIRBENCH96_FASTER.toBuilder().optimizer(MuonSpec.HIVERGE.withBatchSize(1024)).noLookahead()
                        .build());
        assertTrue(e.getMessage().contains("renormalize at every step"), e.getMessage());
    }
}

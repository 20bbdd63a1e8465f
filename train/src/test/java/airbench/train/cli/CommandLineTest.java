package airbench.train.cli;

import airbench.train.Recipe;
import airbench.train.run.TrainOptionTable;
import airbench.train.run.TrainOptions;
import airbench.train.run.UsageException;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import airbench.data.FlipMode;
import airbench.model.Compilation;
import airbench.model.CpuFeatures;
import airbench.model.ExecutionPlan;
import airbench.model.MuonSpec;
import airbench.model.NetworkSpec;
import airbench.model.OptimizerSpec;
import airbench.model.Precision;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CommandLineTest {

    private static TrainOptions resolve(String... args) {
        return TrainOptions.resolve(TrainOptionTable.parse(args, new Properties()));
    }

    @Test
    void propertiesAreTheCamelCaseOfFlags() {
        assertEquals("train.dataDir", new TrainOptionTable.Def("data-dir", "P", "", "").property());
        assertEquals("train.listRecipes", new TrainOptionTable.Def("list-recipes", null, "", "").property());
        Properties props = new Properties();
        props.setProperty("train.recipe", "95");
        props.setProperty("train.trainSubset", "100");
        props.setProperty("other.property", "ignored");
        Map<String, String> raw = TrainOptionTable.parse(new String[0], props);
        assertEquals(Map.of("recipe", "95", "train-subset", "100"), raw);
    }

    @Test
    void flagsWinOverProperties() {
        Properties props = new Properties();
        props.setProperty("train.recipe", "95");
        Map<String, String> raw = TrainOptionTable.parse(new String[] {"--recipe", "96"}, props);
        assertEquals("96", raw.get("recipe"));
    }

    @Test
    void overridesChangeOnlyTheirFieldOfThePreset() {
        TrainOptions o = resolve("--recipe", "95", "--epochs", "2.5", "--flip", "random", "--widths", "8,16,32",
                "--tta", "1", "--batch-size", "256", "--precision", "BF16");
        assertEquals("95", o.recipe().name());
        assertEquals(2.5, o.recipe().epochs());
        assertEquals(FlipMode.RANDOM, o.recipe().augment().flip());
        assertEquals(2, o.recipe().augment().translate());
        assertEquals(List.of(8, 16, 32), o.recipe().network().widths());
        assertEquals(1, o.recipe().ttaLevel());
        assertEquals(256, o.recipe().optimizer().batchSize());
        assertEquals(new OptimizerSpec(256, 10.0, 0.85, 0.0153, 64), o.recipe().optimizer());
        assertEquals(Precision.BF16, o.precision());
        TrainOptions defaults = resolve();
        assertEquals(Recipe.AIRBENCH94, defaults.recipe());
        assertEquals(0, defaults.seed());
        assertEquals(1, defaults.runs());
        assertEquals(ExecutionPlan.resolve("auto", "auto", CpuFeatures.detect()), defaults.execution());
        assertTrue(defaults.oneDnn());
    }

    @Test
    void muonRecipeTakesTheBatchSizeOverrideWithItsWeightDecay() {
        TrainOptions o = resolve("--recipe", "94muon", "--batch-size", "500", "--epochs", "1");
        MuonSpec muon = (MuonSpec) o.recipe().optimizer();
        assertEquals(500, muon.batchSize());
        assertEquals(2e-6 * 500, muon.weightDecay(), 1e-18);    // wd follows the batch ...
        assertEquals(0.24, muon.muonLr());                      // ... the rates do not
        assertEquals(0.67, muon.headLr());
        assertEquals(NetworkSpec.AIRBENCH94_MUON, o.recipe().network());
        assertEquals(1.0, o.recipe().epochs());
    }

    @Test
    void fasterRecipeKeepsHalfOfAnotherBatchSizeAndTakesTheIntendedWhiteningFreeze() {
        TrainOptions o = resolve("--recipe", "96faster", "--batch-size", "512", "--whiten-bias-epochs", "3");
        assertEquals(512, o.recipe().optimizer().batchSize());
        assertEquals(256, o.recipe().filter().keep());
        assertEquals(3.0, o.recipe().whitenBiasEpochs());
        assertEquals(Recipe.AIRBENCH96_FASTER.filter().proxy(), o.recipe().filter().proxy());
        assertEquals(0.0, resolve("--whiten-bias-epochs", "0").recipe().whitenBiasEpochs());
        assertMessage("bad value '-1' for --whiten-bias-epochs; expected a number >= 0", "--whiten-bias-epochs", "-1");
    }

    private static final CpuFeatures ZEN4 = new CpuFeatures("AMD EPYC", Set.of("avx2", "avx512f", "avx512_bf16"));
    private static final CpuFeatures AVX2_ONLY = new CpuFeatures("AMD EPYC", Set.of("avx2"));

    @Test
    void autoPrecisionAndCompileFollowTheCpuAndAreStoredAsWhatTheyChose() {
        Map<String, String> none = Map.of();
        TrainOptions zen4 = TrainOptions.resolve(none, ZEN4);
        assertEquals(Precision.BF16, zen4.precision());
        assertEquals(Compilation.XLA, zen4.compile());
        TrainOptions avx2 = TrainOptions.resolve(none, AVX2_ONLY);
        assertEquals(Precision.FP32, avx2.precision());
        assertEquals(Compilation.XLA, avx2.compile());
        // What is stored for --resume is the choice, so a resume on another CPU continues with it.
        assertEquals("bf16", zen4.pinnedRaw().get("precision"));
        assertEquals("xla", zen4.pinnedRaw().get("compile"));
        assertEquals(Precision.BF16, TrainOptions.resolve(zen4.pinnedRaw(), AVX2_ONLY).precision());
        // Explicit values win over the CPU.
        TrainOptions fixed = TrainOptions.resolve(Map.of("precision", "fp32", "compile", "none"), ZEN4);
        assertEquals(Precision.FP32, fixed.precision());
        assertEquals(Compilation.NONE, fixed.compile());
        assertEquals("--precision fp32", fixed.execution().precisionReason());
    }

    @Test
    void oneDnnOption() {
        assertTrue(resolve().oneDnn());
        assertTrue(resolve("--onednn", "on").oneDnn());
        assertFalse(resolve("--onednn", "off").oneDnn());
        assertMessage("bad value 'maybe' for --onednn; valid values: on, off", "--onednn", "maybe");
    }

    @Test
    void badInputGivesOneLineNamingTheValidChoices() {
        assertMessage("unknown recipe '97'; valid recipes: 94, 95, 96, 94muon, 96faster, hlb, 94hiverge", "--recipe", "97");
        assertMessage("bad value 'sideways' for --flip; valid values: alternating, random, none", "--flip", "sideways");
        assertMessage("bad value '3' for --tta; valid values: 0, 1, 2, selective", "--tta", "3");
        assertMessage("bad value 'many' for --runs; expected a whole number", "--runs", "many");
        assertMessage("bad value '0' for --runs; expected a positive whole number", "--runs", "0");
        assertMessage("bad value '-1' for --epochs; expected a positive number", "--epochs", "-1");
        assertMessage("bad value 'fp16' for --precision; valid values: auto, fp32, bf16", "--precision", "fp16");
        assertMessage("bad value 'jit' for --compile; valid values: auto, none, xla", "--compile", "jit");
        assertMessage("bad value '8,16' for --widths; expected three positive numbers like 64,256,256", "--widths", "8,16");
        UsageException unknown = assertThrows(UsageException.class, () -> resolve("--lr", "3"));
        assertTrue(unknown.getMessage().startsWith("unknown option: --lr; valid options: --recipe, --data-dir"),
                unknown.getMessage());
        Properties props = new Properties();
        props.setProperty("train.recpie", "95");
        UsageException property = assertThrows(UsageException.class,
                () -> TrainOptionTable.parse(new String[0], props));
        assertTrue(property.getMessage().startsWith("unknown property -Dtrain.recpie; valid properties: train.recipe"),
                property.getMessage());
    }

    /** Selective TTA (docs/METHOD.md section 14) is an evaluation mode of any recipe; a level turns it off. */
    @Test
    void selectiveTtaIsAnOptionOfEveryRecipe() {
        Recipe r94 = resolve("--tta", "selective").recipe();
        assertEquals(0, r94.ttaLevel());
        assertEquals(0.25, r94.ttaSelective());
        assertEquals(0.1, resolve("--tta", "selective", "--tta-fraction", "0.1").recipe().ttaSelective());
        assertEquals(0.5, resolve("--tta-fraction", "0.5").recipe().ttaSelective());
        Recipe hivergeAtLevel2 = resolve("--recipe", "94hiverge", "--tta", "2").recipe();
        assertEquals(2, hivergeAtLevel2.ttaLevel());
        assertEquals(0.0, hivergeAtLevel2.ttaSelective());
        assertEquals(0.25, resolve("--recipe", "94hiverge").recipe().ttaSelective());
        assertMessage("bad value '0' for --tta-fraction; give the share of the test images that selective TTA"
                + " augments as a fraction in (0, 1], like 0.25 (a quarter)", "--tta-fraction", "0");
        assertMessage("--tta-fraction is the share of selective TTA; give it with --tta selective, not with --tta 2",
                "--tta", "2", "--tta-fraction", "0.3");
    }

    /** --claim-above is an accuracy to exceed: in (0, 1), both ends open. */
    @ParameterizedTest
    @ValueSource(strings = {"1e-9", "0.5", "0.999999"})
    void claimAboveTakesAFractionStrictlyBetweenZeroAndOne(String value) {
        assertEquals(Double.valueOf(value), resolve("--claim-above", value).claimAbove());
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "1", "-1e-9", "1.000001", "0.94x", "NaN", "Infinity", "94%"})
    void claimAboveRefusesAnythingElseSayingWhatToGive(String value) {
        assertMessage("bad value '" + value + "' for --claim-above; give the accuracy the mean over the runs is tested"
                + " to exceed as a fraction in (0, 1), like 0.94", "--claim-above", value);
    }

    /** --tta-fraction is a share of the test images: in (0, 1], so every image (1) is allowed. */
    @ParameterizedTest
    @ValueSource(strings = {"1e-9", "0.5", "0.999999", "1"})
    void ttaFractionTakesAShareAboveZeroUpToOne(String value) {
        assertEquals(Double.valueOf(value), resolve("--tta-fraction", value).recipe().ttaSelective());
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "-1e-9", "1.000001", "quarter", "NaN", "Infinity"})
    void ttaFractionRefusesAnythingElseSayingWhatToGive(String value) {
        assertMessage("bad value '" + value + "' for --tta-fraction; give the share of the test images that selective"
                + " TTA augments as a fraction in (0, 1], like 0.25 (a quarter)", "--tta-fraction", value);
    }

    /** --epochs and --whiten-bias-epochs share the parsing of the fractions; their ranges and refusals differ. */
    @ParameterizedTest
    @ValueSource(strings = {"0", "ten", "Infinity", "NaN"})
    void epochCountsRefuseWhatIsNoFinitePositiveNumber(String value) {
        assertMessage("bad value '" + value + "' for --epochs; expected a positive number", "--epochs", value);
        if (!value.equals("0")) {
            assertMessage("bad value '" + value + "' for --whiten-bias-epochs; expected a number >= 0",
                    "--whiten-bias-epochs", value);
        }
    }

    private static void assertMessage(String expected, String... args) {
        UsageException e = assertThrows(UsageException.class, () -> resolve(args));
        assertEquals(expected, e.getMessage());
        assertTrue(!e.getMessage().contains("\n"));
    }

    @Test
    void mainExitsWithTwoAndOneLineOnBadRecipe() {
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true));
        try {
            assertEquals(2, Main.run(new String[] {"--recipe", "97"}));
        } finally {
            System.setErr(err);
        }
        assertEquals("error: train: unknown recipe '97'; valid recipes: 94, 95, 96, 94muon, 96faster, hlb, 94hiverge",
                captured.toString().trim());
    }

    @Test
    void stepTimingIsReachableAsASubcommandWithItsOwnOptions() {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream capturedOut = new ByteArrayOutputStream();
        ByteArrayOutputStream capturedErr = new ByteArrayOutputStream();
        System.setOut(new PrintStream(capturedOut, true));
        System.setErr(new PrintStream(capturedErr, true));
        try {
            assertEquals(0, Main.run(new String[] {"step-timing", "--help"}));
            assertEquals(2, Main.run(new String[] {"step-timing", "--precision", "fp16"}));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
        String text = capturedOut.toString();
        assertTrue(text.contains("usage: step-timing") && text.contains("--repetitions"), text);
        assertTrue(capturedErr.toString().startsWith(
                "error: step-timing: bad value 'fp16' for --precision; valid values: fp32, bf16"), capturedErr.toString());
    }

    @Test
    void helpListsEveryOptionWithItsPropertyAndDefault() {
        String help = TrainOptionTable.help();
        for (TrainOptionTable.Def def : TrainOptionTable.DEFS) {
            assertTrue(help.contains("--" + def.name()), "help lacks --" + def.name());
            assertTrue(help.contains("-D" + def.property()), "help lacks -D" + def.property());
        }
        assertTrue(help.contains("[default: 94]"));
        assertEquals(0, Main.run(new String[] {"--help"}));
    }

    @Test
    void listRecipesDescribesEveryHyperparameter() {
        String d = Recipe.AIRBENCH96.describe();
        for (String expected : List.of("epochs                 37.0", "lr per 1024 examples   9.0",
                "wd per 1024 examples   0.012", "translate (px)         4", "cutout (px)            12",
                "widths                 [128, 384, 512]", "convs per block        3, residual",
                "BatchNorm memory       0.9", "0.2 -> 1 over 0.1 of the steps, then -> 0.0")) {
            assertTrue(d.contains(expected), "missing '" + expected + "' in\n" + d);
        }
    }

    @Test
    void theDatasetSizesTheProxyHeadOf96fasterToo() {
        TrainOptions hundred = resolve("--recipe", "96faster", "--dataset", "cifar100");
        assertEquals(100, hundred.recipe().network().numClasses());
        assertEquals(100, hundred.recipe().filter().proxy().numClasses());
        // Nothing else of the proxy changes: its widths, depth, keep count and step interval stay 96faster's.
        assertEquals(Recipe.AIRBENCH96_FASTER.filter().proxy().withNumClasses(100), hundred.recipe().filter().proxy());
        assertEquals(Recipe.AIRBENCH96_FASTER.filter().keep(), hundred.recipe().filter().keep());
        assertEquals(Recipe.AIRBENCH96_FASTER.filter().proxyStepEvery(), hundred.recipe().filter().proxyStepEvery());
    }

    @Test
    void theDatasetSizesTheHeadAndChangesNothingElse() {
        TrainOptions ten = resolve();
        assertEquals(airbench.data.DatasetChoice.CIFAR10, ten.dataset());
        assertEquals(10, ten.recipe().network().numClasses());

        TrainOptions hundred = resolve("--recipe", "96", "--dataset", "cifar100");
        assertEquals(airbench.data.DatasetChoice.CIFAR100, hundred.dataset());
        // docs/METHOD.md section 9: the CIFAR-10 hyperparameters unchanged, only the head's width follows the data.
        assertEquals(Recipe.AIRBENCH96.toBuilder().network(NetworkSpec.AIRBENCH96.withNumClasses(100)).build(), hundred.recipe());
        assertTrue(hundred.describe().contains("dataset CIFAR-100: 100 classes, normalization mean (0.5071, 0.4865,"
                + " 0.4409), std (0.2673, 0.2564, 0.2762)"), hundred.describe());

        TrainOptions coarse = resolve("--dataset", "cifar100", "--labels", "coarse", "--widths", "8,16,16");
        assertEquals(airbench.data.DatasetChoice.CIFAR100_COARSE, coarse.dataset());
        assertEquals(new NetworkSpec(List.of(8, 16, 16), 2, false, 0.6, 20), coarse.recipe().network());

        Properties props = new Properties();
        props.setProperty("train.dataset", "cifar100");
        props.setProperty("train.labels", "fine");
        assertEquals(airbench.data.DatasetChoice.CIFAR100,
                TrainOptions.resolve(TrainOptionTable.parse(new String[0], props)).dataset());
        assertTrue(TrainOptionTable.help().contains("--dataset") && TrainOptionTable.help().contains("--labels"));
    }

    @Test
    void labelsWithoutCifar100AndUnknownDatasetsAreRefused() {
        assertMessage("--labels applies to --dataset cifar100 only (CIFAR-10 has one set of 10 labels); drop --labels"
                + " coarse, or add --dataset cifar100", "--labels", "coarse");
        assertMessage("--labels applies to --dataset cifar100 only (CIFAR-10 has one set of 10 labels); drop --labels"
                + " fine, or add --dataset cifar100", "--dataset", "cifar10", "--labels", "fine");
        assertMessage("bad value 'cifar1000' for --dataset; valid values: cifar10, cifar100", "--dataset", "cifar1000");
        assertMessage("bad value 'super' for --labels; valid values: fine, coarse", "--dataset", "cifar100",
                "--labels", "super");
    }
}

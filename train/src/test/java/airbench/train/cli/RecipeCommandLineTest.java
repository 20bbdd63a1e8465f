package airbench.train.cli;

import airbench.data.DatasetChoice;
import airbench.train.Recipe;
import airbench.train.run.RunFolder;
import airbench.train.run.TrainOptionTable;
import airbench.train.run.TrainOptions;
import airbench.train.sweep.SyntheticCifarFolder;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What every recipe owes the command line, checked for the recipes added after the first ones (hlb, 94hiverge) as a
 * user gives them: listed, accepted with every option of a training (dry runs on a synthetic CIFAR-10 folder, which
 * read the data and validate the configuration without training), chosen by its property, on CIFAR-100 and in a
 * resumed invocation. What differs per recipe (its overrides, its sweeps): {@code HlbCommandLineTest},
 * {@code HivergeCommandLineTest}.
 */
class RecipeCommandLineTest {
    @TempDir
    static Path shared;
    private static Path data;

    @BeforeAll
    static void writeData() throws Exception {
        data = SyntheticCifarFolder.write(shared.resolve("cifar"));
    }

    /**
     * A recipe under test, with a line of {@code --list-recipes} only it has, and the options of a training that suit
     * it where recipes differ: a flip mode other than its own and TTA settings other than its default.
     */
    record Case(String name, Recipe preset, String ownLine, List<String> flipAndTta, String otherTtaLevel) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Case> recipes() {
        return Stream.of(
                new Case("hlb", Recipe.HLB, "slow copy taken after step 100",
                        List.of("--flip", "alternating", "--tta", "2"), "1"),
                new Case("94hiverge", Recipe.HIVERGE,
                        "filter renormalization when s - last >= 2 + floor(15 s / total steps)",
                        List.of("--flip", "random", "--tta", "selective", "--tta-fraction", "0.5", "--claim-above", "0.9"),
                        "2"));
    }

    private static int dryRun(String recipe, List<String> options) {
        List<String> args = new ArrayList<>(List.of("--data-dir", data.toString(), "--recipe", recipe, "--dry-run"));
        args.addAll(options);
        return Main.run(args.toArray(String[]::new));
    }

    private static TrainOptions resolve(String... args) {
        return TrainOptions.resolve(TrainOptionTable.parse(args, new Properties()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("recipes")
    void listRecipesListsIt(Case recipe) {
        PrintStream out = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true));
        try {
            assertEquals(0, Main.run(new String[] {"--list-recipes"}));
        } finally {
            System.setOut(out);
        }
        String listed = captured.toString();
        assertTrue(listed.contains("recipe " + recipe.name()), listed);
        assertTrue(listed.contains(recipe.ownLine()), listed);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("recipes")
    void everyTrainingOptionIsAccepted(Case recipe, @TempDir Path out) {
        String name = recipe.name();
        assertEquals(0, dryRun(name, List.of()));
        List<String> all = new ArrayList<>(List.of("--runs", "3", "--seed", "5", "--epochs", "2", "--batch-size",
                "512", "--widths", "32,64,128", "--whiten-bias-epochs", "1", "--precision", "fp32", "--compile", "none",
                "--threads", "2", "--train-subset", "4096", "--epoch-eval", "false", "--output",
                out.resolve("runs").toString(), "--export", out.resolve("export").toString(), "--overwrite-export",
                "--tensorboard", out.resolve("tb").toString()));
        all.addAll(recipe.flipAndTta());
        assertEquals(0, dryRun(name, all));
        assertEquals(0, dryRun(name, List.of("--precision", "bf16", "--compile", "xla", "--tta", "0",
                "--no-tensorboard")));
        assertEquals(0, dryRun(name, List.of("--precision", "auto", "--compile", "auto", "--tta", recipe.otherTtaLevel(),
                "--flip", "none")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("recipes")
    void itsPropertyChoosesIt(Case recipe) {
        Properties properties = new Properties();
        properties.setProperty("train.recipe", recipe.name());
        assertEquals(recipe.preset(), TrainOptions.resolve(TrainOptionTable.parse(new String[0], properties)).recipe());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("recipes")
    void onCifar100OnlyTheHeadChanges(Case recipe) {
        String name = recipe.name();
        TrainOptions hundred = resolve("--recipe", name, "--dataset", "cifar100");
        assertEquals(DatasetChoice.CIFAR100, hundred.dataset());
        assertEquals(recipe.preset().toBuilder().numClasses(100).build(), hundred.recipe());
        TrainOptions coarse = resolve("--recipe", name, "--dataset", "cifar100", "--labels", "coarse");
        assertEquals(recipe.preset().toBuilder().numClasses(20).build(), coarse.recipe());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("recipes")
    void anInvocationFolderResumes(Case recipe, @TempDir Path out) throws Exception {
        String name = recipe.name();
        TrainOptions o = resolve("--recipe", name, "--epochs", "2", "--train-subset", "4096", "--runs", "2");
        Path dir = RunFolder.create(out, o.recipe(), o.dataset(), o.pinnedRaw());
        // What --resume DIR continues with: the options the invocation was started with (a dry run takes no --resume).
        Map<String, String> resumed = RunFolder.resumedOptions(dir, Map.of("data-dir", data.toString()));
        assertEquals(name, resumed.get("recipe"));
        assertEquals(o.recipe(), TrainOptions.resolve(resumed).recipe());
        // --claim-above may change on resume: it does not change what is computed.
        Map<String, String> reclaimed = RunFolder.resumedOptions(dir, Map.of("data-dir", data.toString(),
                "claim-above", "0.93"));
        assertEquals(o.recipe(), TrainOptions.resolve(reclaimed).recipe());
        assertEquals(0.93, TrainOptions.resolve(reclaimed).claimAbove());
    }
}

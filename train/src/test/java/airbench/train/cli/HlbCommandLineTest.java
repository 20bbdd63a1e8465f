package airbench.train.cli;

import airbench.data.DatasetChoice;
import airbench.data.FlipMode;
import airbench.model.IdentityInit;
import airbench.train.Recipe;
import airbench.train.run.RunFolder;
import airbench.train.run.TrainOptionTable;
import airbench.train.run.TrainOptions;
import airbench.train.sweep.Axis;
import airbench.train.sweep.RunSpec;
import airbench.train.sweep.SweepPlan;
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
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --recipe hlb} through the command line as a user gives it: listed, and accepted with every option of a
 * training (checked by dry runs on a synthetic CIFAR-10 folder, which read the data and validate the configuration
 * without training), by its property, on CIFAR-100, in a resumed invocation and in a sweep's runs. Training itself,
 * resumption and the result files: {@code run.HlbTrainingTest}.
 */
class HlbCommandLineTest {
    @TempDir
    static Path shared;
    private static Path data;

    @BeforeAll
    static void writeData() throws Exception {
        data = SyntheticCifarFolder.write(shared.resolve("cifar"));
    }

    private static int dryRun(String... options) {
        List<String> args = new ArrayList<>(List.of("--data-dir", data.toString(), "--recipe", "hlb", "--dry-run"));
        args.addAll(List.of(options));
        return Main.run(args.toArray(String[]::new));
    }

    private static TrainOptions resolve(String... args) {
        return TrainOptions.resolve(TrainOptionTable.parse(args, new Properties()));
    }

    @Test
    void listRecipesListsHlb() {
        PrintStream out = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true));
        try {
            assertEquals(0, Main.run(new String[] {"--list-recipes"}));
        } finally {
            System.setOut(out);
        }
        String listed = captured.toString();
        assertTrue(listed.contains("recipe hlb"), listed);
        assertTrue(listed.contains("slow copy taken after step 100"), listed);
    }

    @Test
    void everyTrainingOptionIsAcceptedWithHlb(@TempDir Path out) {
        assertEquals(0, dryRun());
        assertEquals(0, dryRun("--runs", "3", "--seed", "5", "--epochs", "2", "--batch-size", "512", "--flip",
                "alternating", "--widths", "32,64,128", "--whiten-bias-epochs", "1", "--tta", "2", "--precision", "fp32",
                "--compile", "none", "--threads", "2", "--train-subset", "4096", "--epoch-eval", "false", "--output",
                out.resolve("runs").toString(), "--export", out.resolve("export").toString(), "--overwrite-export",
                "--tensorboard", out.resolve("tb").toString()));
        assertEquals(0, dryRun("--precision", "bf16", "--compile", "xla", "--tta", "0", "--no-tensorboard"));
        assertEquals(0, dryRun("--precision", "auto", "--compile", "auto", "--tta", "1", "--flip", "none"));
    }

    @Test
    void theOverridesChangeOnlyTheirSettingOfHlb() {
        TrainOptions o = resolve("--recipe", "hlb", "--epochs", "2", "--batch-size", "512", "--flip", "alternating",
                "--widths", "32,64,128", "--tta", "2");
        Recipe expected = Recipe.HLB.toBuilder().epochs(2).batchSize(512).flip(FlipMode.ALTERNATING)
                .widths(List.of(32, 64, 128)).ttaLevel(2).build();
        assertEquals(expected, o.recipe());
        assertEquals(IdentityInit.ADD_AND_RENORMALIZE, o.recipe().network().firstConvIdentity(), "--widths keeps the init");
        Properties properties = new Properties();
        properties.setProperty("train.recipe", "hlb");
        assertEquals(Recipe.HLB, TrainOptions.resolve(TrainOptionTable.parse(new String[0], properties)).recipe());
    }

    @Test
    void onCifar100OnlyTheHeadChanges() {
        TrainOptions hundred = resolve("--recipe", "hlb", "--dataset", "cifar100");
        assertEquals(DatasetChoice.CIFAR100, hundred.dataset());
        assertEquals(Recipe.HLB.toBuilder().numClasses(100).build(), hundred.recipe());
        assertEquals(20, resolve("--recipe", "hlb", "--dataset", "cifar100", "--labels", "coarse").recipe().network()
                .numClasses());
    }

    @Test
    void anHlbInvocationFolderResumes(@TempDir Path out) throws Exception {
        TrainOptions o = resolve("--recipe", "hlb", "--epochs", "2", "--train-subset", "4096");
        Path dir = RunFolder.create(out, o.recipe(), o.dataset(), o.pinnedRaw());
        // What --resume DIR continues with: the options the invocation was started with (a dry run takes no --resume).
        Map<String, String> resumed = RunFolder.resumedOptions(dir, Map.of("data-dir", data.toString()));
        assertEquals("hlb", resumed.get("recipe"));
        assertEquals(o.recipe(), TrainOptions.resolve(resumed).recipe());
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

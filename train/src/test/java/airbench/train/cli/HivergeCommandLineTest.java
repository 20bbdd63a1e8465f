package airbench.train.cli;

import airbench.data.DatasetChoice;
import airbench.data.FlipMode;
import airbench.model.Activation;
import airbench.model.MuonSpec;
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
 * {@code --recipe 94hiverge} through the command line as a user gives it: listed, and accepted with every option of a
 * training (dry runs on a synthetic CIFAR-10 folder), by its property, on CIFAR-100, in a resumed invocation and in a
 * sweep's runs. Training itself, resumption and the result files: {@code run.HivergeTrainingTest}.
 */
class HivergeCommandLineTest {
    @TempDir
    static Path shared;
    private static Path data;

    @BeforeAll
    static void writeData() throws Exception {
        data = SyntheticCifarFolder.write(shared.resolve("cifar"));
    }

    private static int dryRun(String... options) {
        List<String> args = new ArrayList<>(List.of("--data-dir", data.toString(), "--recipe", "94hiverge",
                "--dry-run"));
        args.addAll(List.of(options));
        return Main.run(args.toArray(String[]::new));
    }

    private static TrainOptions resolve(String... args) {
        return TrainOptions.resolve(TrainOptionTable.parse(args, new Properties()));
    }

    @Test
    void listRecipesListsHiverge() {
        PrintStream out = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true));
        try {
            assertEquals(0, Main.run(new String[] {"--list-recipes"}));
        } finally {
            System.setOut(out);
        }
        String listed = captured.toString();
        assertTrue(listed.contains("recipe 94hiverge"), listed);
        assertTrue(listed.contains("filter renormalization when s - last >= 2 + floor(15 s / total steps)"), listed);
    }

    @Test
    void everyTrainingOptionIsAcceptedWithHiverge(@TempDir Path out) {
        assertEquals(0, dryRun());
        assertEquals(0, dryRun("--runs", "3", "--seed", "5", "--epochs", "2", "--batch-size", "512", "--flip",
                "random", "--widths", "32,64,128", "--whiten-bias-epochs", "1", "--tta", "selective", "--tta-fraction",
                "0.5", "--claim-above", "0.9", "--precision", "fp32", "--compile", "none", "--threads", "2",
                "--train-subset", "4096", "--epoch-eval", "false", "--output", out.resolve("runs").toString(),
                "--export", out.resolve("export").toString(), "--overwrite-export", "--tensorboard",
                out.resolve("tb").toString()));
        assertEquals(0, dryRun("--precision", "bf16", "--compile", "xla", "--tta", "0", "--no-tensorboard"));
        assertEquals(0, dryRun("--precision", "auto", "--compile", "auto", "--tta", "2", "--flip", "none"));
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
        Properties properties = new Properties();
        properties.setProperty("train.recipe", "94hiverge");
        assertEquals(Recipe.HIVERGE, TrainOptions.resolve(TrainOptionTable.parse(new String[0], properties)).recipe());
        assertEquals(0.9, resolve("--recipe", "94hiverge", "--claim-above", "0.9").claimAbove());
        assertEquals(0.94, resolve("--recipe", "94hiverge").claimAbove());
    }

    @Test
    void onCifar100OnlyTheHeadChanges() {
        TrainOptions hundred = resolve("--recipe", "94hiverge", "--dataset", "cifar100");
        assertEquals(DatasetChoice.CIFAR100, hundred.dataset());
        assertEquals(Recipe.HIVERGE.toBuilder().numClasses(100).build(), hundred.recipe());
    }

    @Test
    void aHivergeInvocationFolderResumes(@TempDir Path out) throws Exception {
        TrainOptions o = resolve("--recipe", "94hiverge", "--epochs", "2", "--train-subset", "4096", "--runs", "2");
        Path dir = RunFolder.create(out, o.recipe(), o.dataset(), o.pinnedRaw());
        // --claim-above may change on resume: it does not change what is computed.
        Map<String, String> resumed = RunFolder.resumedOptions(dir, Map.of("data-dir", data.toString(),
                "claim-above", "0.93"));
        assertEquals("94hiverge", resumed.get("recipe"));
        assertEquals(o.recipe(), TrainOptions.resolve(resumed).recipe());
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

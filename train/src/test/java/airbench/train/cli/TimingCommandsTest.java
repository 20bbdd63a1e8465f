package airbench.train.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import airbench.data.DatasetChoice;
import airbench.model.NetworkSpec;
import airbench.model.Compilation;
import airbench.model.CpuFeatures;
import airbench.model.ExecutionPlan;
import airbench.model.Precision;
import airbench.tools.MachinePeak;
import airbench.tools.StepProfile;
import airbench.tools.StepTiming;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import org.apache.commons.cli.DefaultParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command lines of {@code step-timing} and {@code bench}: their settings, their errors, and a tiny run through
 * the entry point (the table, then the report, which fails after the table when it cannot be written). What they
 * measure is tested with the tools (airbench.tools).
 */
class TimingCommandsTest {

    /** What a run printed: the table on one stream, errors on the other. */
    private record Printed(String out, String err) {}

    private static Printed runPrinting(int expectedCode, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(args, new Properties(), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        Printed printed = new Printed(out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        assertEquals(expectedCode, code, printed.toString());
        return printed;
    }

    /**
     * The table of a successful run, or the one error line of a refused command line (which prints nothing on the
     * table's stream).
     */
    private static String run(int expectedCode, String... args) {
        Printed printed = runPrinting(expectedCode, args);
        if (expectedCode == 0) {
            assertEquals("", printed.err());
            return printed.out();
        }
        if (expectedCode == 2) {
            assertEquals("", printed.out(), "an error must not reach the table's stream");
        }
        assertTrue(printed.err().startsWith("error: " + args[0] + ": "), printed.err());
        assertEquals(1, printed.err().strip().lines().count(), printed.err());
        return printed.err();
    }

    private static StepTiming.Settings settings(String... args) throws Exception {
        return TimingCommands.stepTimingSettings(DefaultParser.builder().get()
                .parse(TimingCommands.stepTimingOptions(), args));
    }

    @Test
    void theDatasetSizesTheHead() throws Exception {
        StepTiming.Settings hundred = settings("--dataset", "cifar100", "--recipe-network", "96");
        assertEquals(100, hundred.spec().numClasses());
        assertEquals(DatasetChoice.CIFAR100, hundred.dataset());
        assertEquals(NetworkSpec.AIRBENCH96.widths(), hundred.spec().widths());
        assertEquals(20, settings("--dataset", "cifar100", "--labels", "coarse").spec().numClasses());
        StepTiming.Settings ten = settings();
        assertEquals(10, ten.spec().numClasses());
        assertEquals(StepTiming.DEFAULT_WARMUP, ten.warmup());
        assertEquals(5, ten.repetitions());
        assertEquals(1024, ten.batchSize());
        assertTrue(ten.eager());
        assertTrue(run(2, "step-timing", "--labels", "coarse").contains("--labels applies to --dataset cifar100 only"));
        assertTrue(run(2, "step-timing", "--dataset", "svhn").contains("valid values: cifar10, cifar100"));
    }

    @Test
    void badOptionsExitWithTwo() {
        assertTrue(run(2, "step-timing", "--recipe-network", "93").contains("94, 95, 96"));
        assertTrue(run(2, "step-timing", "--precision", "fp16").contains("fp32, bf16"));
        assertTrue(run(2, "step-timing", "--batch-size", "0").contains("--batch-size"));
        assertTrue(run(2, "step-timing", "--widths", "8,16").contains("--widths"));
        assertTrue(run(2, "step-timing", "--frobnicate").contains("--help"));
        assertTrue(run(2, "step-timing", "stray").contains("unexpected argument 'stray'"));
        // strict parsing: an abbreviation is refused, not taken for --repetitions
        assertTrue(run(2, "step-timing", "--repet", "1").contains("--repet"));
        assertTrue(run(0, "step-timing", "--help").contains("--repetitions"));

        assertTrue(run(2, "bench", "--batch-size", "zero").startsWith("error: bench: bad value 'zero' for"
                + " --batch-size"));
        assertTrue(run(2, "bench", "--dataset", "cifar100").contains("--dataset"), "bench has no --dataset");
        String benchHelp = run(0, "bench", "--help");
        assertTrue(benchHelp.contains("--no-pytorch") && benchHelp.contains("apt-get install python3-torch"),
                benchHelp);
    }

    @Test
    void theReportIsWrittenAfterTheTableAndAReportThatCannotBeWrittenExitsWithOne(@TempDir Path dir)
            throws Exception {
        String[] tiny = {"step-timing", "--recipe-network", "94", "--widths", "4,8,8", "--batch-size", "4",
                "--repetitions", "1", "--warmup", "0", "--threads", "1", "--no-eager", "--output"};
        Path json = dir.resolve("timing.json");
        String table = run(0, concat(tiny, json.toString()));
        assertTrue(table.contains("train step: graph / XLA"), table);
        assertTrue(table.strip().endsWith("JSON written to " + json), table);
        JsonNode root = new ObjectMapper().readTree(json.toFile());
        assertEquals(4, root.at("/settings/batch_size").asInt());
        assertEquals(6, root.get("measurements").size(), "no eager forward pass");

        Path blocker = Files.writeString(dir.resolve("a-file"), "not a folder");
        Printed printed = runPrinting(1, concat(tiny, blocker.resolve("timing.json").toString()));
        // the measurement is not lost: its table is printed before the report fails
        assertTrue(printed.out().contains("train step: graph / XLA"), printed.out());
        assertTrue(printed.err().startsWith("error: step-timing: could not write " + blocker.resolve("timing.json")),
                printed.err());
        assertEquals(1, printed.err().strip().lines().count(), printed.err());
    }

    private static StepProfile.Settings profileSettings(String... args) throws Exception {
        return TimingCommands.profileSettings(DefaultParser.builder().get().parse(TimingCommands.profileOptions(), args));
    }

    @Test
    void theProfileResolvesAutoAsTheTrainerDoesAndTakesItsCounts() throws Exception {
        StepProfile.Settings defaults = profileSettings();
        ExecutionPlan plan = ExecutionPlan.resolve("auto", "auto", CpuFeatures.detect());
        assertEquals(plan.precision(), defaults.precision());
        assertEquals(plan.compilation(), defaults.compilation());
        assertEquals(1024, defaults.batchSize());
        assertEquals(StepProfile.Settings.DEFAULT_STEPS, defaults.steps());
        assertEquals(StepProfile.Settings.DEFAULT_WARMUP, defaults.warmup());
        assertEquals(MachinePeak.DEFAULT_SIZE, defaults.peakSize());
        assertEquals(StepProfile.ProfiledRun.TRAIN_STEP, defaults.run());
        StepProfile.Settings chosen = profileSettings("--recipe-network", "96", "--widths", "8,16,16", "--precision",
                "FP32", "--compile", "xla", "--steps", "2", "--warmup", "0", "--peak-size", "512", "--frozen-whitening");
        assertEquals(Precision.FP32, chosen.precision());
        assertEquals(Compilation.XLA, chosen.compilation());
        assertEquals(java.util.List.of(8, 16, 16), chosen.spec().widths());
        assertEquals(NetworkSpec.AIRBENCH96.convsPerBlock(), chosen.spec().convsPerBlock());
        assertEquals(2, chosen.steps());
        assertEquals(0, chosen.warmup());
        assertEquals(512, chosen.peakSize());
        assertEquals(StepProfile.ProfiledRun.FROZEN_WHITENING_STEP, chosen.run());
        StepProfile.Settings evaluation = profileSettings("--evaluation");
        assertEquals(StepProfile.ProfiledRun.EVALUATION, evaluation.run());
        assertEquals(2000, evaluation.batchSize(), "the evaluation batch, as the trainer evaluates");
        assertEquals(500, profileSettings("--evaluation", "--batch-size", "500").batchSize());
        assertTrue(run(2, "profile", "--evaluation", "--frozen-whitening").contains("exclude each other"));
        assertTrue(run(2, "profile", "--precision", "fp16").contains("valid values: auto, fp32, bf16"));
        assertTrue(run(2, "profile", "--compile", "jit").contains("valid values: auto, none, xla"));
        assertTrue(run(2, "profile", "--steps", "0").contains("--steps"));
        assertTrue(run(0, "profile", "--help").contains("--peak-size"));
    }

    @Test
    void aTinyProfileWritesItsReport(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("profile.json");
        String out = run(0, "profile", "--widths", "4,8,8", "--batch-size", "4", "--threads", "1", "--steps", "1",
                "--warmup", "1", "--precision", "fp32", "--compile", "none", "--peak-size", "64",
                "--peak-repetitions", "1", "--output", json.toString());
        assertTrue(out.strip().endsWith("JSON written to " + json), out);
        JsonNode root = new ObjectMapper().readTree(json.toFile());
        assertEquals(19, root.get("convolutions").size());
        assertEquals("fp32", root.at("/settings/precision").asText());
        assertEquals(2, root.get("peaks").size());
    }

    private static String[] concat(String[] head, String last) {
        String[] all = java.util.Arrays.copyOf(head, head.length + 1);
        all[head.length] = last;
        return all;
    }
}

package airbench.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import airbench.model.NetworkSpec;
import airbench.model.Precision;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A tiny run of the timing tool through its entry point, and its command-line errors. */
class StepTimingTest {

    /** What a run printed: the table on one stream, errors on the other. */
    private record Printed(String out, String err) {}

    private static Printed runPrinting(int expectedCode, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = StepTiming.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
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
        assertTrue(printed.err().startsWith("error: step-timing: "), printed.err());
        assertEquals(1, printed.err().strip().lines().count(), printed.err());
        return printed.err();
    }

    @Test
    void tinyRunMeasuresEveryConfigurationAndRatio() throws Exception {
        StepTiming.Report report = StepTiming.measure(new StepTiming.Settings("94",
                NetworkSpec.preset("94").orElseThrow().withWidths(List.of(8, 16, 16)), 8, Precision.FP32, 1, 1, 0,
                true));
        String table = StepTiming.table(report);
        assertTrue(table.contains("train step: graph / XLA"), table);
        assertTrue(table.contains("eager / graph"), table);

        JsonNode root = new ObjectMapper().valueToTree(StepTiming.json(report));
        assertEquals(8, root.at("/settings/batch_size").asInt());
        assertEquals("fp32", root.at("/settings/precision").asText());
        assertEquals("[8,16,16]", root.at("/settings/widths").toString());
        assertEquals("cifar10", root.at("/settings/dataset").asText());
        assertEquals(10, root.at("/settings/num_classes").asInt());
        assertTrue(root.at("/provenance/tensorflow").asText().startsWith("2."), root.at("/provenance").toString());
        assertEquals(String.valueOf(Runtime.getRuntime().availableProcessors()), root.at("/provenance/cores").asText());
        assertTrue(root.at("/provenance/commit").isTextual(), root.at("/provenance").toString());
        List<String> rows = new ArrayList<>();
        for (JsonNode m : root.get("measurements")) {
            rows.add(m.get("execution").asText() + " " + m.get("pass").asText());
            for (String field : List.of("median_ms", "min_ms", "max_ms", "q1_ms", "q3_ms", "iqr_ms", "first_call_ms",
                    "one_time_cost_ms", "images_per_second")) {
                assertTrue(m.get(field).isNumber(), field + " in " + m);
            }
            assertEquals(1, m.get("samples_ms").size());
            assertTrue(m.get("median_ms").asDouble() > 0);
        }
        assertEquals(List.of("eager forward", "graph forward", "graph train step", "graph frozen step", "xla forward",
                "xla train step", "xla frozen step"), rows);
        for (String ratio : List.of("train_step_graph_over_xla", "forward_graph_over_xla", "forward_eager_over_graph",
                "graph_train_step_over_frozen_step", "xla_train_step_over_frozen_step")) {
            assertTrue(root.at("/ratios/" + ratio).asDouble() > 0, ratio);
        }
        assertTrue(root.at("/xla/marked_nodes").asInt() > 0);
        assertTrue(root.at("/xla/first_call_reports/train_step/clusters").asInt() > 0, root.get("xla").toString());
        assertTrue(root.get("notes").get(0).asText().contains("gradients"));
    }

    @Test
    void theDatasetSizesTheHead() throws Exception {
        StepTiming.Settings hundred = StepTiming.settings(new org.apache.commons.cli.DefaultParser()
                .parse(StepTiming.options(), new String[] {"--dataset", "cifar100", "--recipe-network", "96"}));
        assertEquals(100, hundred.spec().numClasses());
        assertEquals(airbench.data.DatasetChoice.CIFAR100, hundred.dataset());
        assertEquals(airbench.model.NetworkSpec.AIRBENCH96.widths(), hundred.spec().widths());
        StepTiming.Settings coarse = StepTiming.settings(new org.apache.commons.cli.DefaultParser()
                .parse(StepTiming.options(), new String[] {"--dataset", "cifar100", "--labels", "coarse"}));
        assertEquals(20, coarse.spec().numClasses());
        StepTiming.Settings ten = StepTiming.settings(new org.apache.commons.cli.DefaultParser()
                .parse(StepTiming.options(), new String[0]));
        assertEquals(10, ten.spec().numClasses());
        assertTrue(run(2, "--labels", "coarse").contains("--labels applies to --dataset cifar100 only"));
        assertTrue(run(2, "--dataset", "svhn").contains("valid values: cifar10, cifar100"));
    }

    @Test
    void badOptionsExitWithTwo() {
        assertTrue(run(2, "--recipe-network", "93").contains("94, 95, 96"));
        assertTrue(run(2, "--precision", "fp16").contains("fp32, bf16"));
        assertTrue(run(2, "--batch-size", "0").contains("--batch-size"));
        assertTrue(run(2, "--widths", "8,16").contains("--widths"));
        assertTrue(run(2, "--frobnicate").contains("--help"));
        // strict parsing: an abbreviation is refused, not taken for --repetitions
        assertTrue(run(2, "--repet", "1").contains("--repet"));
        assertTrue(run(0, "--help").contains("--repetitions"));
    }

    @Test
    void aReportThatCannotBeWrittenExitsWithOneAfterTheTable(@TempDir Path dir) throws Exception {
        Path blocker = java.nio.file.Files.writeString(dir.resolve("a-file"), "not a folder");
        Printed printed = runPrinting(1, "--recipe-network", "94", "--widths", "4,8,8", "--batch-size", "4",
                "--repetitions", "1", "--warmup", "0", "--threads", "1", "--no-eager",
                "--output", blocker.resolve("timing.json").toString());
        // the measurement is not lost: its table is printed before the report fails
        assertTrue(printed.out().contains("train step: graph / XLA"), printed.out());
        assertTrue(printed.err().startsWith("error: step-timing: could not write " + blocker.resolve("timing.json")),
                printed.err());
        assertEquals(1, printed.err().strip().lines().count(), printed.err());
    }
}

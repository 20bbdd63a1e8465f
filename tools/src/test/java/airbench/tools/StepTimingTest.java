package airbench.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

    private static String run(int expectedCode, String... args) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int code = StepTiming.run(args, new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertEquals(expectedCode, code, out);
        return out;
    }

    @Test
    void tinyRunWritesEveryMeasurementAndRatio(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("timing.json");
        String table = run(0, "--recipe-network", "94", "--widths", "8,16,16", "--batch-size", "8",
                "--repetitions", "1", "--warmup", "0", "--threads", "1", "--output", json.toString());
        assertTrue(table.contains("train step: graph / XLA"), table);
        assertTrue(table.contains("eager / graph"), table);

        JsonNode root = new ObjectMapper().readTree(json.toFile());
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
        assertTrue(run(0, "--help").contains("--repetitions"));
    }
}

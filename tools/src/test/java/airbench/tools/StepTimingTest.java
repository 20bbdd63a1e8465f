package airbench.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import airbench.model.NetworkSpec;
import airbench.model.Precision;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A tiny measurement of the timing tool (every configuration, its ratios, the table and the report), and its settings. */
class StepTimingTest {

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
    void countsOutOfRangeAreRefused() {
        NetworkSpec spec = NetworkSpec.AIRBENCH94;
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> new StepTiming.Settings("94", spec, 0, Precision.FP32, 1, 1, 0, true));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> new StepTiming.Settings("94", spec, 8, Precision.FP32, 1, 1, -1, true));
    }
}

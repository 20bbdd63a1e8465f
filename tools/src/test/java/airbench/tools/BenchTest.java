package airbench.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import airbench.model.CpuFeatures;
import airbench.model.ExecutionPlan;
import airbench.model.NetworkSpec;
import airbench.model.TensorFlowRuntime;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The speed benchmark: its PyTorch wiring (with stand-in interpreters), its ratios, and a tiny real run. */
class BenchTest {

    private static Bench.Settings settings(List<String> pythons) {
        return new Bench.Settings("94", NetworkSpec.preset("94").orElseThrow().withWidths(List.of(4, 8, 8)), 8, 1, 2, 0,
                false, true, pythons, List.of());
    }

    /** A stand-in for python3: writes {@code json} to the file after --json and exits with {@code code}. */
    private static String fakePython(Path dir, String json, int code) throws Exception {
        Path script = dir.resolve("fake-python-" + code);
        Files.writeString(script, "#!/bin/sh\nwhile [ \"$1\" != \"--json\" ]; do shift; done\n"
                + "cat > \"$2\" <<'JSON'\n" + json + "\nJSON\nexit " + code + "\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        return script.toString();
    }

    @Test
    void withoutPyTorchTheColumnSaysNotInstalledAndWhatWasTried(@TempDir Path dir) throws Exception {
        String noTorch = fakePython(dir, "{\"installed\": false, \"reason\": \"No module named 'torch'\"}",
                PythonScript.NOT_INSTALLED);
        Bench.PyTorch result = Bench.pytorch(settings(List.of(dir.resolve("missing-python").toString(), noTorch)),
                FP32_ONLY);
        assertTrue(result.rows().isEmpty());
        assertTrue(result.status().startsWith("not installed ("), result.status());
        assertTrue(result.status().contains("missing-python: not found"), result.status());
        assertTrue(result.status().contains("no torch module"), result.status());
        assertTrue(result.status().contains("apt-get install python3-torch"), result.status());
    }

    @Test
    void readsTheScriptsMeasurementsFromTheFirstInterpreterThatHasPyTorch(@TempDir Path dir) throws Exception {
        String noTorch = fakePython(dir, "{\"installed\": false}", PythonScript.NOT_INSTALLED);
        String torch = fakePython(dir, """
                {"installed": true, "torch": "1.13.1", "threads": 1, "mkldnn": true, "config": "x",
                 "measurements": [
                   {"layout": "contiguous", "pass": "train step", "first_call_ms": 50, "samples_ms": [30, 10, 20]},
                   {"layout": "channels_last", "pass": "train step", "first_call_ms": 40, "samples_ms": [16, 14]}]}""", 0);
        Bench.PyTorch result = Bench.pytorch(settings(List.of(noTorch, torch)), FP32_ONLY);
        assertEquals("measured: PyTorch 1.13.1 (" + torch + ")", result.status());
        assertEquals(2, result.rows().size());
        assertEquals(20, result.rows().get(0).stats().median());
        assertEquals(15, result.rows().get(1).stats().median());
        assertEquals("channels_last", result.rows().get(1).configuration());
        assertEquals("fp32", result.rows().get(1).precision());   // an older script's rows name no precision
    }

    private static final Bench.PyTorchPlan FP32_ONLY = new Bench.PyTorchPlan(List.of("fp32"), List.of());

    @Test
    void withoutNativeBf16PyTorchRunsFloat32AloneAndSaysWhyBf16IsSkipped() {
        Bench.PyTorchPlan plain = Bench.pytorchPlan(new CpuFeatures("AVX2 only", Set.of("avx2", "avx512f")));
        assertEquals(List.of("fp32"), plain.precisions());
        assertEquals(List.of("pytorch contiguous bf16 eager", "pytorch channels_last bf16 eager"),
                plain.skipped().stream().map(Bench.Skipped::configuration).toList());
        assertTrue(plain.skipped().get(0).reason().contains("no native bf16"), plain.skipped().toString());

        for (String flag : List.of("avx512_bf16", "amx_bf16")) {
            Bench.PyTorchPlan bf16 = Bench.pytorchPlan(new CpuFeatures("native", Set.of("avx2", flag)));
            assertEquals(List.of("fp32", "bf16"), bf16.precisions(), flag);
            assertTrue(bf16.skipped().isEmpty(), flag);
        }
    }

    @Test
    void theScriptGetsThePlansPrecisionsAndItsBf16RowsKeepTheirPrecision(@TempDir Path dir) throws Exception {
        Path arguments = dir.resolve("arguments");
        Path script = dir.resolve("recording-python");
        // Records its arguments, then answers with one row per precision.
        Files.writeString(script, "#!/bin/sh\necho \"$@\" > " + arguments + "\n"
                + "while [ \"$1\" != \"--json\" ]; do shift; done\ncat > \"$2\" <<'JSON'\n"
                + "{\"installed\": true, \"torch\": \"1.13.1\", \"measurements\": ["
                + "{\"layout\": \"contiguous\", \"precision\": \"fp32\", \"pass\": \"train step\", \"first_call_ms\": 9,"
                + " \"samples_ms\": [60]},"
                + "{\"layout\": \"contiguous\", \"precision\": \"bf16\", \"pass\": \"train step\", \"first_call_ms\": 9,"
                + " \"samples_ms\": [40]}]}\nJSON\nexit 0\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        Bench.PyTorch result = Bench.pytorch(settings(List.of(script.toString())),
                Bench.pytorchPlan(new CpuFeatures("native", Set.of("avx512_bf16"))));
        assertTrue(Files.readString(arguments).contains("--precisions fp32,bf16"), Files.readString(arguments));
        assertEquals(List.of("fp32", "bf16"), result.rows().stream().map(Bench.Row::precision).toList());

        Bench.PyTorch skipped = Bench.pytorch(settings(List.of(script.toString())),
                Bench.pytorchPlan(new CpuFeatures("plain", Set.of("avx2"))));
        assertTrue(Files.readString(arguments).contains("--precisions fp32 "), Files.readString(arguments));
        assertEquals(2, skipped.skipped().size());
    }

    @Test
    void theHeadlineIsAgainstPyTorchsFastestRowWhicheverLayoutAndPrecisionThatIs() {
        TensorFlowRuntime.Status runtime = new TensorFlowRuntime.Status(true, "_MklNativeConv2D", true,
                new CpuFeatures("cpu", Set.of("avx2", "avx512_bf16")));
        ExecutionPlan defaults = ExecutionPlan.resolve("auto", "auto", runtime.cpu());
        String precision = (String) defaults.toMap().get("precision");
        List<Bench.Row> rows = List.of(new Bench.Row("tensorflow", "onednn", precision, "xla", "train step",
                TimingStats.of(2400), 2400, true));
        // The measurement of PyTorch 1.13 (ms): bf16 contiguous is the fastest, not either fp32 layout.
        Bench.PyTorch torch = new Bench.PyTorch(List.of(
                torchRow("contiguous", "fp32", 6770), torchRow("channels_last", "fp32", 5190),
                torchRow("contiguous", "bf16", 3580), torchRow("channels_last", "bf16", 3610)),
                "measured", Map.of(), List.of());
        Bench.Report report = new Bench.Report(settings(List.of()), defaults, runtime, rows, torch, "skipped", "now", 1);
        Bench.Headline headline = report.headlines().get(0);
        assertEquals("pytorch contiguous bf16 eager", headline.pytorchFastest().label());
        assertEquals(3580.0 / 2400, headline.speedup(), 1e-12);
        assertEquals(Map.of("default_train_step_speedup_over_pytorch", 3580.0 / 2400), report.ratios());
        String table = Bench.table(report);
        assertTrue(table.contains("against PyTorch's fastest (pytorch contiguous bf16 eager, 3580 ms): 1.49x"), table);

        JsonNode json = new ObjectMapper().valueToTree(Bench.json(report));
        assertEquals(5, json.path("measurements").size());   // every row is kept, not only the fastest
        assertEquals("pytorch contiguous bf16 eager", json.at("/headlines/0/pytorch_fastest").asText());
        assertEquals(3580.0 / 2400, json.at("/headlines/0/speedup").asDouble(), 1e-12);
    }

    @Test
    void theTableAndJsonSayWhichPyTorchRowsWereSkipped() {
        TensorFlowRuntime.Status runtime = new TensorFlowRuntime.Status(true, "_MklNativeConv2D", true,
                new CpuFeatures("cpu", Set.of("avx2")));
        Bench.PyTorchPlan plan = Bench.pytorchPlan(runtime.cpu());
        Bench.PyTorch torch = new Bench.PyTorch(List.of(torchRow("contiguous", "fp32", 100)), "measured", Map.of(),
                plan.skipped());
        Bench.Report report = new Bench.Report(settings(List.of()),
                ExecutionPlan.resolve("auto", "auto", runtime.cpu()), runtime, List.of(), torch, "skipped", "now", 1);
        String table = Bench.table(report);
        for (String layout : List.of("contiguous", "channels_last")) {
            assertTrue(table.lines().anyMatch(l -> l.startsWith("pytorch " + layout + " bf16 eager")
                    && l.contains("skipped: this CPU has no native bf16")), table);
        }
        JsonNode json = new ObjectMapper().valueToTree(Bench.json(report));
        assertEquals("pytorch channels_last bf16 eager", json.at("/pytorch/skipped/1/configuration").asText());
        assertEquals(Bench.NO_NATIVE_BF16, json.at("/pytorch/skipped/1/reason").asText());
    }

    private static Bench.Row torchRow(String layout, String precision, double millis) {
        return new Bench.Row("pytorch", layout, precision, "eager", "train step", TimingStats.of(millis), millis, false);
    }

    @Test
    void ratioIsPyTorchsFasterLayoutOverTheDefaultConfiguration() {
        TensorFlowRuntime.Status runtime = new TensorFlowRuntime.Status(true, "_MklNativeConv2D", true,
                new CpuFeatures("cpu", Set.of("avx2")));
        List<Bench.Row> rows = List.of(
                row("tensorflow", "graph", "train step", false, 1200),
                row("tensorflow", "xla", "train step", true, 1000),
                row("tensorflow", "xla", "forward", true, 400));
        Bench.PyTorch torch = new Bench.PyTorch(List.of(
                row("pytorch", "eager", "train step", false, 3000),
                row("pytorch", "eager", "train step", false, 2500),
                row("pytorch", "eager", "forward", false, 500)), "measured", Map.of(), List.of());
        Bench.Report report = new Bench.Report(settings(List.of()),
                ExecutionPlan.resolve("auto", "auto", runtime.cpu()), runtime, rows, torch, "skipped", "now", 1);
        assertEquals(Map.of("default_train_step_speedup_over_pytorch", 2.5, "default_forward_speedup_over_pytorch", 1.25),
                report.ratios());
        String table = Bench.table(report);
        assertTrue(table.contains("tensorflow onednn fp32 xla (default)"), table);
        assertTrue(table.contains("2.50x"), table);   // 2500 / 1000 on the default train-step row
        assertTrue(table.contains("2.08x"), table);   // 2500 / 1200 on the graph row
    }

    private static Bench.Row row(String framework, String execution, String pass, boolean isDefault, double millis) {
        return new Bench.Row(framework, "onednn", "fp32", execution, pass, TimingStats.of(millis), millis, isDefault);
    }

    @Test
    void tinyRunMeasuresEveryNativePrecisionPlainAndXlaAndMarksOneDefault(@TempDir Path dir) throws Exception {
        Bench.Settings settings = new Bench.Settings("94", NetworkSpec.preset("94").orElseThrow()
                .withWidths(List.of(4, 8, 8)), 8, 1, 1, 0, false, true, List.of(dir.resolve("none").toString()),
                List.of());
        Bench.Report report = Bench.measure(settings);
        String out = Bench.table(report);
        assertTrue(out.contains("PyTorch: not installed"), out);

        JsonNode root = new ObjectMapper().valueToTree(Bench.json(report));
        CpuFeatures cpu = CpuFeatures.detect();
        List<JsonNode> rows = new ArrayList<>();
        root.path("measurements").forEach(rows::add);
        assertEquals(cpu.hasNativeBf16() ? 12 : 6, rows.size(), root.toString());
        ExecutionPlan plan = ExecutionPlan.resolve("auto", "auto", cpu);
        List<JsonNode> defaults = rows.stream().filter(r -> r.path("default").asBoolean()).toList();
        assertEquals(3, defaults.size());  // forward, train step, frozen step
        for (JsonNode r : defaults) {
            assertEquals(plan.toMap().get("precision"), r.path("precision").asText());
            assertEquals(plan.compilation() == airbench.model.Compilation.XLA ? "xla" : "graph", r.path("execution").asText());
        }
        assertEquals(cpu.model(), root.at("/cpu/model_name").asText());
        assertTrue(root.at("/runtime/onednn_active").asBoolean());
        assertTrue(root.at("/pytorch/status").asText().startsWith("not installed"));
        assertEquals(0, root.path("ratios").size());
    }
}

package airbench.tools;

import airbench.model.CpuFeatures;
import airbench.model.ExecutionPlan;
import airbench.model.NetworkSpec;
import airbench.model.Precision;
import airbench.model.TensorFlowRuntime;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The speed benchmark: in one invocation, on this machine, the same network and batch, this project's
 * training step and forward pass in every configuration that makes sense on this CPU, and the same
 * step in PyTorch; medians, spread, images per second and the ratios; a table and a JSON file.
 *
 * <p>What runs, in this order:
 * <ol>
 *   <li>TensorFlow with oneDNN (this JVM): for each precision the CPU runs natively (fp32, and bf16
 *       where it has avx512_bf16 or amx_bf16), the plain graph and the XLA graph, training step and
 *       forward pass ({@link StepTiming}'s procedure: first call, warm-up, timed calls round-robin).
 *       The row {@code --precision auto --compile auto} would choose is marked "default".</li>
 *   <li>TensorFlow with oneDNN off, fp32 (a second JVM, since TensorFlow reads the switch once per
 *       process): what a user got before oneDNN was forced on, on CPUs where TensorFlow leaves it off.</li>
 *   <li>PyTorch on the CPU (a python3 process running {@code pytorch_bench.py}, written from docs/METHOD.md:
 *       the same network, summed label-smoothed loss and Nesterov SGD, the same threads and batch) in its
 *       default and its channels-last memory layout, each in float32 and, where the CPU has native bf16, in
 *       bf16 autocast ({@code torch.autocast("cpu", dtype=torch.bfloat16)}, PyTorch's fastest configuration on
 *       such a CPU). Without native bf16 the bf16 rows are skipped and the table says why: emulated bf16 is
 *       slower than float32 and would only make PyTorch look slow. Without PyTorch the column says "not
 *       installed" and the rest still runs.</li>
 * </ol>
 * The comparison is always against PyTorch's fastest row of a pass, whichever layout and precision that is,
 * and the headline names it: a yardstick that PyTorch's own best configuration sets.
 * This is the measurement ({@link #measure}, {@link #table}, {@link #json}); its command line is the trainer's
 * {@code bench} command.
 */
public final class Bench {
    private static final Logger LOG = LogManager.getLogger(Bench.class);

    static final String SCRIPT = "pytorch_bench.py";
    /** Untimed calls per configuration after the first (one is enough at these step times). */
    public static final int DEFAULT_WARMUP = 1;

    /**
     * What one invocation measures.
     *
     * @param oneDnnOff         also measure fp32 with oneDNN off, in a second JVM
     * @param pytorch           also measure PyTorch
     * @param pythons           interpreters to try for PyTorch, in order
     * @param stepTimingCommand the main class (and leading arguments) of a program that runs the step-timing
     *                          measurement from its command line in the second JVM, e.g.
     *                          {@code [airbench.train.cli.Main, step-timing]}; it gets {@code --onednn off
     *                          --no-eager --widths ... --output FILE} and must write {@link StepTiming#json}
     */
    public record Settings(String network, NetworkSpec spec, int batchSize, int threads, int repetitions, int warmup,
                           boolean oneDnnOff, boolean pytorch, List<String> pythons, List<String> stepTimingCommand) {}

    /**
     * One measured configuration.
     *
     * @param framework     "tensorflow" or "pytorch"
     * @param configuration what differs: "onednn", "onednn off", "contiguous", "channels_last"
     * @param precision     fp32 or bf16
     * @param execution     graph, xla, or eager (PyTorch)
     * @param pass          "train step" or "forward"
     * @param isDefault     the configuration the trainer's auto options choose on this CPU
     */
    public record Row(String framework, String configuration, String precision, String execution, String pass,
               TimingStats stats, double firstCallMillis, boolean isDefault) {

        String label() {
            return framework + " " + configuration + " " + precision + " " + execution;
        }
    }

    /**
     * The PyTorch side: rows, or why there are none.
     *
     * @param skipped configurations not measured, each with why
     */
    public record PyTorch(List<Row> rows, String status, Map<String, Object> details, List<Skipped> skipped) {
        public PyTorch {
            rows = List.copyOf(rows);
            skipped = List.copyOf(skipped);
        }
    }

    /**
     * Which precisions PyTorch runs on this CPU.
     *
     * @param precisions passed to the script's {@code --precisions}, "fp32" first
     * @param skipped    what is left out and why (empty when nothing is)
     */
    record PyTorchPlan(List<String> precisions, List<Skipped> skipped) {}

    /** A configuration not measured: its row's label ("pytorch contiguous bf16 eager") and why. */
    public record Skipped(String configuration, String reason) {}

    /** Why PyTorch's bf16 rows are skipped on a CPU without native bf16. */
    static final String NO_NATIVE_BF16 = "skipped: this CPU has no native bf16 (neither avx512_bf16 nor amx_bf16 in"
            + " /proc/cpuinfo); emulated bf16 is slower than float32";

    /** The PyTorch rows of this CPU: float32 always, bf16 autocast only with native bf16 (see the class comment). */
    static PyTorchPlan pytorchPlan(CpuFeatures cpu) {
        if (cpu.hasNativeBf16()) {
            return new PyTorchPlan(List.of("fp32", "bf16"), List.of());
        }
        return new PyTorchPlan(List.of("fp32"), List.of(new Skipped("pytorch contiguous bf16 eager", NO_NATIVE_BF16),
                new Skipped("pytorch channels_last bf16 eager", NO_NATIVE_BF16)));
    }

    /**
     * The headline comparison of a pass: the default configuration's row against PyTorch's fastest row.
     *
     * @param speedup PyTorch's fastest median over the default's median (above 1: this project is faster)
     */
    public record Headline(String pass, Row chosen, Row pytorchFastest, double speedup) {
        String describe() {
            return String.format(Locale.ROOT, "default %s (%s, %.0f ms) against PyTorch's fastest (%s, %.0f ms): %.2fx",
                    pass, chosen.label(), chosen.stats().median(), pytorchFastest.label(),
                    pytorchFastest.stats().median(), speedup);
        }
    }

    /** Everything measured. */
    public record Report(Settings settings, ExecutionPlan defaults, TensorFlowRuntime.Status runtime,
                  List<Row> rows, PyTorch pytorch, String oneDnnOffStatus, String startedAt, double wallSeconds) {

        CpuFeatures cpu() {
            return runtime.cpu();
        }

        Optional<Row> defaultRow(String pass) {
            return rows.stream().filter(r -> r.isDefault() && r.pass().equals(pass)).findFirst();
        }

        /** PyTorch's fastest row of a pass (lowest median), over every layout and precision measured. */
        Optional<Row> pytorchBest(String pass) {
            return pytorch.rows().stream().filter(r -> r.pass().equals(pass))
                    .min((a, b) -> Double.compare(a.stats().median(), b.stats().median()));
        }

        /** The default configuration against PyTorch's fastest, for each pass both sides measured. */
        List<Headline> headlines() {
            List<Headline> headlines = new ArrayList<>();
            for (String pass : List.of(StepTiming.TRAIN_STEP, StepTiming.FORWARD)) {
                Optional<Row> torch = pytorchBest(pass);
                Optional<Row> chosen = defaultRow(pass);
                if (torch.isPresent() && chosen.isPresent()) {
                    headlines.add(new Headline(pass, chosen.get(), torch.get(),
                            TimingStats.speedup(torch.get().stats(), chosen.get().stats())));
                }
            }
            return headlines;
        }

        /** How many times faster than PyTorch's fastest (its median / this median), per pass. */
        Map<String, Double> ratios() {
            Map<String, Double> ratios = new LinkedHashMap<>();
            for (Headline h : headlines()) {
                ratios.put("default_" + h.pass().replace(' ', '_') + "_speedup_over_pytorch", h.speedup());
            }
            return ratios;
        }
    }

    private Bench() {}

    /** Every configuration of the class comment, in its order. */
    public static Report measure(Settings s) {
        String startedAt = Instant.now().toString();
        long start = System.nanoTime();
        TensorFlowRuntime.Status runtime = TensorFlowRuntime.status();
        CpuFeatures cpu = runtime.cpu();
        ExecutionPlan defaults = ExecutionPlan.resolve(ExecutionPlan.AUTO, ExecutionPlan.AUTO, cpu);
        LOG.info("bench on {}; {}; the default configuration here: {}", cpu.describe(), runtime.describe(),
                defaults.describe());
        List<Row> rows = new ArrayList<>();
        List<Precision> precisions = cpu.hasNativeBf16() ? List.of(Precision.FP32, Precision.BF16) : List.of(Precision.FP32);
        String tfConfiguration = runtime.oneDnnActive() ? "onednn" : "onednn off";
        for (Precision precision : precisions) {
            StepTiming.Report report = StepTiming.measure(stepTimingSettings(s, precision));
            for (StepTiming.Measurement m : report.measurements()) {
                boolean isDefault = runtime.oneDnnActive() && precision == defaults.precision()
                        && m.execution().equals(defaults.compilation() == airbench.model.Compilation.XLA
                        ? StepTiming.XLA : StepTiming.GRAPH);
                rows.add(new Row("tensorflow", tfConfiguration, lower(precision), m.execution(), m.pass(), m.stats(),
                        m.firstCallMillis(), isDefault));
            }
        }
        String oneDnnOffStatus;
        if (!s.oneDnnOff()) {
            oneDnnOffStatus = "skipped (--no-onednn-off)";
        } else if (!runtime.oneDnnActive()) {
            oneDnnOffStatus = "measured above: oneDNN is off in this process";
        } else {
            oneDnnOffStatus = oneDnnOff(s, rows);
        }
        PyTorch pytorch = s.pytorch() ? pytorch(s, pytorchPlan(cpu))
                : new PyTorch(List.of(), "skipped (--no-pytorch)", Map.of(), List.of());
        return new Report(s, defaults, runtime, rows, pytorch, oneDnnOffStatus, startedAt,
                (System.nanoTime() - start) / 1e9);
    }

    /** The step-timing tool's settings for one precision: no eager pass, no file of its own. */
    private static StepTiming.Settings stepTimingSettings(Settings s, Precision precision) {
        return new StepTiming.Settings(s.network(), s.spec(), s.batchSize(), precision, s.threads(), s.repetitions(),
                s.warmup(), false);
    }

    /** The widths as a command-line value, "64,256,256". */
    private static String widthsArgument(Settings s) {
        return s.spec().widths().stream().map(String::valueOf).collect(Collectors.joining(","));
    }

    /** A measurement row of a child process's JSON (samples_ms, first_call_ms, pass). */
    private static Row childRow(JsonNode m, String framework, String configuration, String precision, String execution) {
        double[] samples = new ObjectMapper().convertValue(m.path("samples_ms"), double[].class);
        return new Row(framework, configuration, precision, execution, m.path("pass").asText(), TimingStats.of(samples),
                m.path("first_call_ms").asDouble(), false);
    }

    /** fp32 with oneDNN off, measured by the step-timing tool in a second JVM; adds its rows. */
    private static String oneDnnOff(Settings s, List<Row> rows) {
        Path json;
        try {
            json = Files.createTempFile("airbench-bench-onednn-off", ".json");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<String> command = new ArrayList<>(List.of(javaExecutable(), "-cp", classPath()));
        String cache = System.getProperty("org.bytedeco.javacpp.cachedir");
        if (cache != null) {
            command.add("-Dorg.bytedeco.javacpp.cachedir=" + cache);
        }
        command.addAll(s.stepTimingCommand());
        command.addAll(List.of("--onednn", "off", "--no-eager",
                "--widths", widthsArgument(s),
                "--recipe-network", s.network(), "--batch-size", String.valueOf(s.batchSize()),
                "--precision", "fp32", "--threads", String.valueOf(s.threads()),
                "--repetitions", String.valueOf(s.repetitions()), "--warmup", String.valueOf(s.warmup()),
                "--output", json.toString()));
        LOG.info("TensorFlow fp32 with oneDNN off, in a second JVM (TensorFlow reads the switch once per process)");
        try {
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
            builder.environment().put(TensorFlowRuntime.ONEDNN_VARIABLE, "0");
            int code = PythonScript.runLogged(builder, "onednn-off");
            if (code != 0) {
                return "failed: the second JVM exited with " + code + " (its output is in the log above)";
            }
            JsonNode root = new ObjectMapper().readTree(json.toFile());
            boolean active = root.path("runtime").path("onednn_active").asBoolean(true);
            for (JsonNode m : root.path("measurements")) {
                rows.add(childRow(m, "tensorflow", active ? "onednn (could not turn off)" : "onednn off", "fp32",
                        m.path("execution").asText()));
            }
            return "measured in a second JVM; convolutions ran as " + root.path("runtime").path("convolution_kernel").asText();
        } catch (IOException e) {
            return "failed: " + e.getMessage();
        } finally {
            json.toFile().delete();
        }
    }

    /** PyTorch through the bundled script in the plan's precisions; tries each interpreter until one has PyTorch. */
    static PyTorch pytorch(Settings s, PyTorchPlan plan) {
        Path json;
        try {
            json = Files.createTempFile("airbench-bench-pytorch", ".json");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            PythonScript.Outcome outcome = PythonScript.run(SCRIPT, List.of(
                    "--widths", widthsArgument(s),
                    "--batch-size", String.valueOf(s.batchSize()), "--threads", String.valueOf(s.threads()),
                    "--repetitions", String.valueOf(s.repetitions()), "--warmup", String.valueOf(s.warmup()),
                    "--precisions", String.join(",", plan.precisions()),
                    "--json", json.toString()), s.pythons(), "pytorch");
            if (!outcome.installed()) {
                return new PyTorch(List.of(), outcome.notInstalledMessage(), Map.of("tried", outcome.tried()),
                        plan.skipped());
            }
            if (!outcome.succeeded()) {
                return new PyTorch(List.of(), "failed: " + outcome.python() + " exited with " + outcome.exitCode()
                        + " (its output is in the log above)", Map.of(), plan.skipped());
            }
            return pytorchRows(new ObjectMapper().readTree(json.toFile()), outcome.python(), plan.skipped());
        } catch (IOException e) {
            return new PyTorch(List.of(), "failed: " + e.getMessage(), Map.of(), plan.skipped());
        } finally {
            json.toFile().delete();
        }
    }

    /** The script's JSON as rows; a measurement without "precision" (an older script) is float32. */
    static PyTorch pytorchRows(JsonNode root, String python, List<Skipped> skipped) {
        List<Row> rows = new ArrayList<>();
        for (JsonNode m : root.path("measurements")) {
            rows.add(childRow(m, "pytorch", m.path("layout").asText(), m.path("precision").asText("fp32"), "eager"));
        }
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("python", python);
        details.put("torch", root.path("torch").asText());
        details.put("threads", root.path("threads").asInt());
        details.put("mkldnn", root.path("mkldnn").asBoolean());
        details.put("build_config", root.path("config").asText());
        return new PyTorch(rows, "measured: PyTorch " + root.path("torch").asText() + " (" + python + ")", details,
                skipped);
    }

    private static String javaExecutable() {
        return Paths.get(System.getProperty("java.home"), "bin", "java").toString();
    }

    /**
     * This program's class path for a second JVM: the URLs of the loader that loaded it when that is a
     * URL class loader (as under {@code mvn exec:java}, whose own {@code java.class.path} is Maven's),
     * otherwise {@code java.class.path}.
     */
    private static String classPath() {
        if (Bench.class.getClassLoader() instanceof URLClassLoader loader && loader.getURLs().length > 0) {
            List<String> entries = new ArrayList<>();
            for (URL url : loader.getURLs()) {
                try {
                    entries.add(Paths.get(url.toURI()).toString());
                } catch (URISyntaxException | IllegalArgumentException e) {
                    entries.add(url.getPath());
                }
            }
            return String.join(File.pathSeparator, entries);
        }
        return System.getProperty("java.class.path");
    }

    private static String lower(Precision p) {
        return p.name().toLowerCase(Locale.ROOT);
    }

    /** The console table (the ratio column against PyTorch's fastest row of the pass), then the headlines. */
    public static String table(Report report) {
        Settings s = report.settings();
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "bench: airbench%s network (widths %s), batch %d, %d threads; "
                        + "first call, %d warm-up and %d timed calls each%n", s.network(),
                s.spec().widths().stream().map(String::valueOf).collect(Collectors.joining("/")), s.batchSize(),
                s.threads(), s.warmup(), s.repetitions()));
        out.append("CPU: ").append(report.cpu().describe()).append(System.lineSeparator());
        out.append("TensorFlow: ").append(report.runtime().describe()).append(System.lineSeparator());
        out.append("default (--precision auto --compile auto): ").append(report.defaults().describe())
                .append(System.lineSeparator());
        out.append(String.format(Locale.ROOT, "%-46s %-10s %9s %9s %9s %9s %9s %9s %s%n", "configuration", "pass",
                "median ms", "min ms", "max ms", "IQR ms", "first ms", "images/s", "PyTorch's fastest / this"));
        List<Row> all = new ArrayList<>(report.rows());
        all.addAll(report.pytorch().rows());
        for (Row r : all) {
            TimingStats t = r.stats();
            Optional<Row> torch = report.pytorchBest(r.pass());
            String ratio = torch.map(p -> String.format(Locale.ROOT, "%.2fx", TimingStats.speedup(p.stats(), t))).orElse("");
            out.append(String.format(Locale.ROOT, "%-46s %-10s %9.0f %9.0f %9.0f %9.0f %9.0f %9.0f %s%n",
                    r.label() + (r.isDefault() ? " (default)" : ""), r.pass(), t.median(), t.min(), t.max(), t.iqr(),
                    r.firstCallMillis(), t.imagesPerSecond(s.batchSize()), ratio));
        }
        for (Skipped skipped : report.pytorch().skipped()) {
            out.append(String.format(Locale.ROOT, "%-46s %s%n", skipped.configuration(), skipped.reason()));
        }
        out.append("oneDNN off: ").append(report.oneDnnOffStatus()).append(System.lineSeparator());
        out.append("PyTorch: ").append(report.pytorch().status()).append(System.lineSeparator());
        for (Headline h : report.headlines()) {
            out.append(h.describe()).append(System.lineSeparator());
        }
        return out.toString();
    }

    /** The JSON document: settings, machine, every row with its samples, the PyTorch side, the ratios. */
    public static Map<String, Object> json(Report report) {
        Settings s = report.settings();
        Map<String, Object> root = TimingReport.jsonRoot(Bench.class, report.startedAt(), report.wallSeconds());
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("recipe_network", s.network());
        settings.put("widths", s.spec().widths());
        settings.put("batch_size", s.batchSize());
        settings.put("threads", s.threads());
        settings.put("repetitions", s.repetitions());
        settings.put("warmup", s.warmup());
        settings.put("train_step", "forward, backward, Nesterov SGD, BatchNorm statistics; summed label-smoothed loss");
        settings.put("forward", "inference pass with running BatchNorm statistics");
        root.put("settings", settings);
        root.put("provenance", Provenance.collect());
        root.put("cpu", report.cpu().toMap());
        root.put("runtime", report.runtime().toMap());
        root.put("default_configuration", report.defaults().toMap());
        List<Map<String, Object>> rows = new ArrayList<>();
        List<Row> all = new ArrayList<>(report.rows());
        all.addAll(report.pytorch().rows());
        for (Row r : all) {
            TimingStats t = r.stats();
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("framework", r.framework());
            row.put("configuration", r.configuration());
            row.put("precision", r.precision());
            row.put("execution", r.execution());
            row.put("pass", r.pass());
            row.put("default", r.isDefault());
            row.put("median_ms", t.median());
            row.put("min_ms", t.min());
            row.put("max_ms", t.max());
            row.put("iqr_ms", t.iqr());
            row.put("first_call_ms", r.firstCallMillis());
            row.put("images_per_second", t.imagesPerSecond(s.batchSize()));
            row.put("samples_ms", t.samples());
            rows.add(row);
        }
        root.put("measurements", rows);
        root.put("onednn_off", report.oneDnnOffStatus());
        Map<String, Object> torch = new LinkedHashMap<>(report.pytorch().details());
        torch.put("status", report.pytorch().status());
        torch.put("skipped", report.pytorch().skipped().stream()
                .map(k -> Map.of("configuration", k.configuration(), "reason", k.reason())).toList());
        root.put("pytorch", torch);
        root.put("ratios", report.ratios());
        List<Map<String, Object>> headlines = new ArrayList<>();
        for (Headline h : report.headlines()) {
            Map<String, Object> headline = new LinkedHashMap<>();
            headline.put("pass", h.pass());
            headline.put("default", h.chosen().label());
            headline.put("default_median_ms", h.chosen().stats().median());
            headline.put("pytorch_fastest", h.pytorchFastest().label());
            headline.put("pytorch_fastest_median_ms", h.pytorchFastest().stats().median());
            headline.put("speedup", h.speedup());
            headlines.add(headline);
        }
        root.put("headlines", headlines);
        return root;
    }
}

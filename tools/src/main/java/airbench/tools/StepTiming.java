package airbench.tools;

import airbench.data.DatasetChoice;
import airbench.model.AirbenchModel;
import airbench.model.Compilation;
import airbench.model.EagerForward;
import airbench.model.NetworkSpec;
import airbench.model.OptimizerSpec;
import airbench.model.Precision;
import airbench.model.TensorFlowRuntime;
import airbench.model.XlaRunReport;
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
 * Times the airbench network's forward pass and training step, side by side in one JVM on one
 * synthetic batch, executed three ways: eagerly, as a plain TensorFlow graph, and as the same graph
 * with XLA clusters ({@link Compilation#XLA}). Prints a table and writes it as JSON.
 *
 * <p>Procedure: build the plain and the compiled model with the same initial weights; call every
 * configuration once (the "first call": graph optimization, XLA compilation, allocation), then
 * {@code --warmup} more times, then {@code --repetitions} timed times. Warm-up and timed calls go
 * round-robin over the configurations, so a slow phase of the machine hits all of them alike.
 * The training step is the trainer's {@code Session.run} (forward, backward, Nesterov SGD update and
 * BatchNorm statistics; no Lookahead blend, which the trainer adds every fifth step). The forward pass
 * is the evaluation pass (running BatchNorm statistics). Eager mode has no training step: TensorFlow
 * Java computes gradients only in graph mode.
 *
 * <p>This is the measurement ({@link #measure}, {@link #table}, {@link #json}); its command line is the
 * trainer's {@code step-timing} command: {@code mvn exec:java -Dexec.args="step-timing --help"} from the repository
 * root, or {@code java -jar train/target/airbench-train.jar step-timing --help}.
 */
public final class StepTiming {
    private static final Logger LOG = LogManager.getLogger(StepTiming.class);
    /** Seed of the synthetic batch and of the initial weights. */
    static final long SEED = SyntheticBatch.SEED;
    /** Schedule multiplier fed to the timed steps (the schedule's first value); speed does not depend on it. */
    static final double LR_MULTIPLIER = 0.2;
    /** Untimed calls per configuration after the first, unless given. */
    public static final int DEFAULT_WARMUP = 2;
    /** Why there is no eager training step. */
    public static final String NOTE_EAGER = "TensorFlow Java's eager mode cannot compute gradients (\"Gradients can be "
            + "computed only in a graph execution environment\"), so there is no eager training step.";

    /**
     * What one invocation measures; {@code spec} has the head of {@code dataset}'s class count (the only
     * thing the dataset changes in a step on synthetic data).
     */
    public record Settings(String network, NetworkSpec spec, int batchSize, Precision precision, int threads,
                           int repetitions, int warmup, boolean eager, DatasetChoice dataset) {

        /** @throws IllegalArgumentException for a count out of its range */
        public Settings {
            if (batchSize < 1 || threads < 1 || repetitions < 1 || warmup < 0) {
                throw new IllegalArgumentException("batch size, threads and repetitions must be at least 1 and warm-up"
                        + " calls at least 0, got " + batchSize + ", " + threads + ", " + repetitions + ", " + warmup);
            }
            java.util.Objects.requireNonNull(spec, "spec");
            java.util.Objects.requireNonNull(precision, "precision");
            java.util.Objects.requireNonNull(dataset, "dataset");
        }

        /** CIFAR-10's settings (the bench command's). */
        public Settings(String network, NetworkSpec spec, int batchSize, Precision precision, int threads,
                        int repetitions, int warmup, boolean eager) {
            this(network, spec, batchSize, precision, threads, repetitions, warmup, eager, DatasetChoice.CIFAR10);
        }
    }

    /** One timed configuration: an execution mode and a pass. */
    public record Measurement(String execution, String pass, double firstCallMillis, double[] warmupMillis,
                       TimingStats stats) {}

    /** Everything measured, ready for the table and the JSON. */
    public record Report(Settings settings, List<Measurement> measurements, int xlaMarkedNodes,
                  Map<String, XlaRunReport> xlaCompileReports, String startedAt, double wallSeconds) {

        Optional<Measurement> find(String execution, String pass) {
            return measurements.stream().filter(m -> m.execution().equals(execution) && m.pass().equals(pass)).findFirst();
        }

        /** Median ratios: graph / XLA per pass, and eager / graph for the forward pass. */
        Map<String, Double> ratios() {
            Map<String, Double> ratios = new LinkedHashMap<>();
            for (String pass : List.of(TRAIN_STEP, FORWARD)) {
                Optional<Measurement> graph = find(GRAPH, pass);
                Optional<Measurement> xla = find(XLA, pass);
                if (graph.isPresent() && xla.isPresent()) {
                    ratios.put(pass.replace(' ', '_') + "_graph_over_xla",
                            TimingStats.speedup(graph.get().stats(), xla.get().stats()));
                }
            }
            for (String execution : List.of(GRAPH, XLA)) {
                Optional<Measurement> full = find(execution, TRAIN_STEP);
                Optional<Measurement> frozen = find(execution, FROZEN_STEP);
                if (full.isPresent() && frozen.isPresent()) {
                    ratios.put(execution + "_train_step_over_frozen_step",
                            TimingStats.speedup(full.get().stats(), frozen.get().stats()));
                }
            }
            Optional<Measurement> eager = find(EAGER, FORWARD);
            Optional<Measurement> graph = find(GRAPH, FORWARD);
            if (eager.isPresent() && graph.isPresent()) {
                ratios.put("forward_eager_over_graph", TimingStats.speedup(eager.get().stats(), graph.get().stats()));
            }
            return ratios;
        }
    }

    static final String EAGER = "eager";
    static final String GRAPH = "graph";
    static final String XLA = "xla";
    static final String FORWARD = "forward";
    static final String TRAIN_STEP = "train step";
    /** The training step once the whitening bias is frozen (its gradient is not computed). */
    static final String FROZEN_STEP = "frozen step";

    private StepTiming() {}

    /** Builds the models and times every configuration, round-robin. */
    public static Report measure(Settings s) {
        String startedAt = Instant.now().toString();
        long wallStart = System.nanoTime();
        int batch = s.batchSize();
        SyntheticBatch synthetic = SyntheticBatch.of(batch, s.spec().numClasses());
        float[] images = synthetic.images();
        int[] labels = synthetic.labels();
        float[] whitening = synthetic.whitening();
        // airbench94's hyperparameters: the optimizer's values do not change the work of a step.
        OptimizerSpec optimizer = new OptimizerSpec(batch, 11.5, 0.85, 0.0153, 64);
        LOG.info("building the plain and the XLA model: {} network {}, batch {}, {}, {} threads", s.network(),
                s.spec().widths(), batch, s.precision().name().toLowerCase(Locale.ROOT), s.threads());
        try (AirbenchModel graph = new AirbenchModel(s.spec(), s.precision(), optimizer, s.threads(), Compilation.NONE);
             AirbenchModel xla = new AirbenchModel(s.spec(), s.precision(), optimizer, s.threads(), Compilation.XLA)) {
            graph.initialize(whitening, SEED);
            xla.initialize(whitening, SEED);
            List<Timed> timed = new ArrayList<>();
            if (s.eager()) {
                EagerForward eager = new EagerForward(s.spec(), s.precision(), graph.networkState(), s.threads());
                timed.add(new Timed(EAGER, FORWARD, () -> eager.logits(images, batch)));
            }
            timed.add(new Timed(GRAPH, FORWARD, () -> graph.logits(images, batch)));
            timed.add(new Timed(GRAPH, TRAIN_STEP, () -> graph.trainStep(images, labels, batch, LR_MULTIPLIER, true, null)));
            timed.add(new Timed(GRAPH, FROZEN_STEP, () -> graph.trainStep(images, labels, batch, LR_MULTIPLIER, false, null)));
            timed.add(new Timed(XLA, FORWARD, () -> xla.logits(images, batch)));
            timed.add(new Timed(XLA, TRAIN_STEP, () -> xla.trainStep(images, labels, batch, LR_MULTIPLIER, true, null)));
            timed.add(new Timed(XLA, FROZEN_STEP, () -> xla.trainStep(images, labels, batch, LR_MULTIPLIER, false, null)));

            for (Timed t : timed) {
                t.first = t.time();
                LOG.info("first call {} {}: {} ms", t.execution, t.pass, Math.round(t.first));
            }
            for (int w = 0; w < s.warmup(); w++) {
                for (Timed t : timed) {
                    t.warmup.add(t.time());
                }
            }
            for (int r = 0; r < s.repetitions(); r++) {
                for (Timed t : timed) {
                    t.samples.add(t.time());
                }
                LOG.info("repetition {}/{}: {}", r + 1, s.repetitions(), timed.stream()
                        .map(t -> t.execution + " " + t.pass + " " + Math.round(t.samples.get(t.samples.size() - 1)) + " ms")
                        .collect(Collectors.joining(", ")));
            }
            List<Measurement> measurements = timed.stream().map(t -> new Measurement(t.execution, t.pass, t.first,
                    t.warmup.stream().mapToDouble(Double::doubleValue).toArray(),
                    TimingStats.of(t.samples.stream().mapToDouble(Double::doubleValue).toArray()))).toList();
            return new Report(s, measurements, xla.markedNodes(), xla.compileReports(), startedAt,
                    (System.nanoTime() - wallStart) / 1e9);
        }
    }

    /** A configuration being timed. */
    private static final class Timed {
        final String execution;
        final String pass;
        final Runnable call;
        double first;
        final List<Double> warmup = new ArrayList<>();
        final List<Double> samples = new ArrayList<>();

        Timed(String execution, String pass, Runnable call) {
            this.execution = execution;
            this.pass = pass;
            this.call = call;
        }

        double time() {
            long start = System.nanoTime();
            call.run();
            return (System.nanoTime() - start) / 1e6;
        }
    }

    /** The console table: one row per configuration, then the ratios and the XLA compile report. */
    public static String table(Report report) {
        Settings s = report.settings();
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "airbench%s network (widths %s, %d classes: %s), batch %d, %s, %d"
                        + " intra-op threads; first call, %d warm-up and %d timed calls each, round-robin%n", s.network(),
                s.spec().widths().stream().map(String::valueOf).collect(Collectors.joining("/")),
                s.spec().numClasses(), s.dataset().displayName(), s.batchSize(),
                s.precision().name().toLowerCase(Locale.ROOT), s.threads(), s.warmup(), s.repetitions()));
        out.append(String.format(Locale.ROOT, "%-6s %-10s %11s %11s %11s %11s %11s %11s %9s%n", "mode", "pass",
                "median ms", "min ms", "max ms", "IQR ms", "first ms", "one-time ms", "images/s"));
        for (Measurement m : report.measurements()) {
            TimingStats t = m.stats();
            out.append(String.format(Locale.ROOT, "%-6s %-10s %11.0f %11.0f %11.0f %11.0f %11.0f %11.0f %9.0f%n",
                    m.execution(), m.pass(), t.median(), t.min(), t.max(), t.iqr(), m.firstCallMillis(),
                    t.oneTimeCost(m.firstCallMillis()), t.imagesPerSecond(s.batchSize())));
        }
        Map<String, Double> ratios = report.ratios();
        if (ratios.containsKey("train_step_graph_over_xla")) {
            out.append(String.format(Locale.ROOT, "train step: graph / XLA = %.3f (%s)%n",
                    ratios.get("train_step_graph_over_xla"), verdict(ratios.get("train_step_graph_over_xla"))));
        }
        if (ratios.containsKey("forward_graph_over_xla")) {
            out.append(String.format(Locale.ROOT, "forward:    graph / XLA = %.3f (%s)%n",
                    ratios.get("forward_graph_over_xla"), verdict(ratios.get("forward_graph_over_xla"))));
        }
        if (ratios.containsKey("forward_eager_over_graph")) {
            out.append(String.format(Locale.ROOT, "forward:    eager / graph = %.2f%n", ratios.get("forward_eager_over_graph")));
        }
        out.append(String.format(Locale.ROOT, "XLA: %d graph nodes marked; ", report.xlaMarkedNodes()));
        out.append(report.xlaCompileReports().entrySet().stream()
                .map(e -> String.format(Locale.ROOT, "%s %d clusters, compile nodes %.0f ms", e.getKey(),
                        e.getValue().clusters(), e.getValue().compileMillis()))
                .collect(Collectors.joining("; ")));
        out.append(" (TensorFlow's trace of the first call)").append(System.lineSeparator());
        out.append("No eager training step: ").append(NOTE_EAGER).append(System.lineSeparator());
        return out.toString();
    }

    private static String verdict(double graphOverXla) {
        return graphOverXla >= 1 ? String.format(Locale.ROOT, "XLA %.1f%% faster", 100 * (graphOverXla - 1))
                : String.format(Locale.ROOT, "XLA %.1f%% slower", 100 * (1 / graphOverXla - 1));
    }

    /** The JSON document: settings, machine, every measurement with its samples and summary, ratios. */
    public static Map<String, Object> json(Report report) {
        Settings s = report.settings();
        Map<String, Object> root = TimingReport.jsonRoot(StepTiming.class, report.startedAt(), report.wallSeconds());
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("recipe_network", s.network());
        settings.put("widths", s.spec().widths());
        settings.put("convs_per_block", s.spec().convsPerBlock());
        settings.put("residual", s.spec().residual());
        settings.put("dataset", s.dataset().id());
        settings.put("num_classes", s.spec().numClasses());
        settings.put("batch_size", s.batchSize());
        settings.put("precision", s.precision().name().toLowerCase(Locale.ROOT));
        settings.put("intra_op_threads", s.threads());
        settings.put("inter_op_threads", 1);
        settings.put("repetitions", s.repetitions());
        settings.put("warmup", s.warmup());
        settings.put("order", "first call of every configuration, then warm-up and timed calls round-robin");
        settings.put("synthetic_batch", "normal(0, 1) pixels and uniform labels, seed " + SEED);
        settings.put("train_step", "one Session.run: forward, backward, Nesterov SGD, BatchNorm statistics; no Lookahead");
        settings.put("frozen_step", "the training step once the whitening bias is frozen (its gradient is not "
                + "computed); airbench94 runs it for 332 of its 476 steps");
        settings.put("forward", "inference pass with running BatchNorm statistics");
        root.put("settings", settings);
        root.put("provenance", Provenance.collect());
        root.put("runtime", TensorFlowRuntime.status().toMap());
        List<Map<String, Object>> rows = new ArrayList<>();
        for (Measurement m : report.measurements()) {
            TimingStats t = m.stats();
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("execution", m.execution());
            row.put("pass", m.pass());
            row.put("median_ms", t.median());
            row.put("min_ms", t.min());
            row.put("max_ms", t.max());
            row.put("q1_ms", t.q1());
            row.put("q3_ms", t.q3());
            row.put("iqr_ms", t.iqr());
            row.put("first_call_ms", m.firstCallMillis());
            row.put("one_time_cost_ms", t.oneTimeCost(m.firstCallMillis()));
            row.put("images_per_second", t.imagesPerSecond(s.batchSize()));
            row.put("warmup_ms", m.warmupMillis());
            row.put("samples_ms", t.samples());
            rows.add(row);
        }
        root.put("measurements", rows);
        root.put("ratios", report.ratios());
        Map<String, Object> xla = new LinkedHashMap<>();
        xla.put("marked_nodes", report.xlaMarkedNodes());
        Map<String, Object> compiles = new LinkedHashMap<>();
        report.xlaCompileReports().forEach((kind, r) -> compiles.put(kind.replace(' ', '_'),
                Map.of("clusters", r.clusters(), "compile_nodes_ms", r.compileMillis())));
        xla.put("first_call_reports", compiles);
        xla.put("compile_nodes_ms_source", "time of the _XlaCompile nodes in TensorFlow's trace of the first call");
        root.put("xla", xla);
        root.put("notes", List.of(NOTE_EAGER,
                "one_time_cost_ms = first call minus median: XLA compilation, graph optimization, first allocations"));
        return root;
    }
}

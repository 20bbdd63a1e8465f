package airbench.tools;

import airbench.model.AirbenchModel;
import airbench.model.AirbenchNetwork;
import airbench.model.Compilation;
import airbench.model.ConvolutionCost;
import airbench.model.NetworkSpec;
import airbench.model.OptimizerSpec;
import airbench.model.Precision;
import airbench.model.TensorFlowRuntime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * A profile of one training step against what this machine can compute: where the step's time goes, op type by
 * op type and layer by layer ({@link StepTrace}, from TensorFlow's trace of the step's {@code Session.run}); the
 * FLOPs of each convolution, forward and both gradients ({@link ConvolutionCost}), and the rate each achieves; the
 * share of time in memory-bound ops; all set against a float32 and a bfloat16 matrix product measured in the same
 * invocation ({@link MachinePeak}).
 *
 * <p>Procedure: the two products first (while the step's model is not yet built); then the model of the chosen
 * precision and compilation on one synthetic batch, {@code warmup} untraced steps (the first holds graph
 * optimization and XLA compilation), {@code steps} untraced timed steps, then {@code steps} traced steps whose node
 * times are averaged. Tracing costs time of its own per node, so the traced step is slower than the untraced
 * median; shares within the trace are what the profile is for.
 *
 * <p>This is the measurement ({@link #measure}, {@link #table}, {@link #json}); its command line is the trainer's
 * {@code profile} command.
 */
public final class StepProfile {
    private static final Logger LOG = LogManager.getLogger(StepProfile.class);
    /** Schedule multiplier fed to the steps; speed does not depend on it. */
    static final double LR_MULTIPLIER = 0.2;
    /** The op types listed in the table (the JSON has them all). */
    static final int TABLE_OP_TYPES = 15;

    /**
     * What one invocation measures; {@link #of} gives the defaults, the {@code with} methods change them.
     *
     * @param run             the run profiled: the training step (whitening bias trained or frozen) or the
     *                        evaluation pass
     * @param warmup          untraced steps first (the first compiles, the second settles the allocator)
     * @param steps           untraced timed steps, and traced steps averaged (a step varies by a few percent)
     * @param peakSize        n of the n x n matrix products
     * @param peakRepetitions timed products per precision (the fastest counts)
     */
    public record Settings(String network, NetworkSpec spec, int batchSize, Precision precision,
                           Compilation compilation, int threads, int warmup, int steps, ProfiledRun run,
                           int peakSize, int peakRepetitions) {
        public static final int DEFAULT_BATCH_SIZE = 1024;
        public static final int DEFAULT_WARMUP = 2;
        public static final int DEFAULT_STEPS = 3;
        public static final int DEFAULT_PEAK_REPETITIONS = 5;

        /**
         * The profile of {@code network}'s training step in the given precision and compilation: batch 1,024, one
         * intra-op thread per core, 2 warm-up and 3 profiled steps, the step with the whitening bias trained, 5
         * products of {@link MachinePeak#DEFAULT_SIZE} for the peak.
         */
        public static Settings of(String network, NetworkSpec spec, Precision precision, Compilation compilation) {
            return new Settings(network, spec, DEFAULT_BATCH_SIZE, precision, compilation,
                    Runtime.getRuntime().availableProcessors(), DEFAULT_WARMUP, DEFAULT_STEPS, ProfiledRun.TRAIN_STEP,
                    MachinePeak.DEFAULT_SIZE, DEFAULT_PEAK_REPETITIONS);
        }

        public Settings withBatchSize(int batchSize) {
            return new Settings(network, spec, batchSize, precision, compilation, threads, warmup, steps,
                    run, peakSize, peakRepetitions);
        }

        public Settings withThreads(int threads) {
            return new Settings(network, spec, batchSize, precision, compilation, threads, warmup, steps,
                    run, peakSize, peakRepetitions);
        }

        /** {@code warmup} untraced steps, then {@code steps} timed and {@code steps} traced ones. */
        public Settings withSteps(int warmup, int steps) {
            return new Settings(network, spec, batchSize, precision, compilation, threads, warmup, steps,
                    run, peakSize, peakRepetitions);
        }

        public Settings withRun(ProfiledRun run) {
            return new Settings(network, spec, batchSize, precision, compilation, threads, warmup, steps,
                    run, peakSize, peakRepetitions);
        }

        /** The peak from {@code repetitions} products of {@code size} x {@code size} matrices. */
        public Settings withPeak(int size, int repetitions) {
            return new Settings(network, spec, batchSize, precision, compilation, threads, warmup, steps,
                    run, size, repetitions);
        }

        public Settings {
            Objects.requireNonNull(spec, "spec");
            Objects.requireNonNull(precision, "precision");
            Objects.requireNonNull(compilation, "compilation");
            Objects.requireNonNull(run, "run");
            if (batchSize < 1 || threads < 1 || warmup < 0 || steps < 1 || peakSize < 1 || peakRepetitions < 1) {
                throw new IllegalArgumentException("batch size, threads, steps, peak size and peak repetitions must be"
                        + " at least 1 and warm-up steps at least 0, got " + batchSize + ", " + threads + ", " + steps
                        + ", " + peakSize + ", " + peakRepetitions + ", " + warmup);
            }
        }
    }

    /** What a profile runs: a training step of the trainer, or its evaluation pass (every epoch end and the TTA). */
    public enum ProfiledRun {
        TRAIN_STEP("train step", "train"),
        FROZEN_WHITENING_STEP("train step with the whitening bias frozen", "frozen-whitening"),
        /** The evaluation pass: inference-mode logits, running BatchNorm statistics, of one evaluation batch. */
        EVALUATION("evaluation pass (inference logits)", "evaluation");

        private final String description;
        private final String label;

        ProfiledRun(String description, String label) {
            this.description = description;
            this.label = label;
        }

        public String description() {
            return description;
        }

        /** The table's word for it ("train", "frozen-whitening", "evaluation"). */
        public String label() {
            return label;
        }
    }

    /**
     * One convolution node of the traced step.
     *
     * @param cost   its shapes (null when the graph did not say them: the FLOPs are then unknown)
     * @param flops  per step (NaN when unknown)
     * @param micros its mean time in the traced steps
     */
    public record ConvolutionRow(String node, String layer, ConvolutionCost.Kind kind, String opType,
                                 ConvolutionCost cost, double flops, double micros) {
        public double gflops() {
            return flops / (micros * 1e3);
        }

        /** "31x31x24 <- 2x2x4": output positions and channels, kernel and input channels. */
        String shape() {
            if (cost == null) {
                return "?";
            }
            return String.format(Locale.ROOT, "%dx%dx%d <- %dx%dx%d", cost.output().size(1), cost.output().size(2),
                    cost.output().size(3), cost.filter().size(0), cost.filter().size(1), cost.filter().size(2));
        }
    }

    /** Everything measured. */
    public record Report(Settings settings, TensorFlowRuntime.Status runtime, List<MachinePeak> peaks,
                         StepTrace trace, List<ConvolutionRow> convolutions, TimingStats untracedMillis,
                         TimingStats tracedMillis, String startedAt, double wallSeconds) {

        /** The peak of the step's own precision. */
        MachinePeak peak() {
            return peaks.stream().filter(p -> p.precision() == settings.precision()).findFirst().orElseThrow();
        }

        double convolutionFlops() {
            return convolutions.stream().filter(c -> !Double.isNaN(c.flops())).mapToDouble(ConvolutionRow::flops).sum();
        }

        double convolutionMicros() {
            return convolutions.stream().filter(c -> !Double.isNaN(c.flops())).mapToDouble(ConvolutionRow::micros).sum();
        }

        /** The convolutions' FLOPs over their time. */
        double convolutionGflops() {
            return convolutionFlops() / (convolutionMicros() * 1e3);
        }

        /** The convolutions' FLOPs over the untraced step's median: the whole step's rate in convolution terms. */
        double stepGflops() {
            return convolutionFlops() / (untracedMillis.median() * 1e6);
        }
    }

    private StepProfile() {}

    /** The peaks, then the model, its steps and their traces (see the class comment). */
    public static Report measure(Settings s) {
        String startedAt = Instant.now().toString();
        long wallStart = System.nanoTime();
        TensorFlowRuntime.Status runtime = TensorFlowRuntime.status();
        List<MachinePeak> peaks = new ArrayList<>();
        for (Precision p : List.of(Precision.FP32, Precision.BF16)) {
            peaks.add(MachinePeak.measure(p, s.peakSize(), s.threads(), s.peakRepetitions()));
        }
        int batch = s.batchSize();
        SyntheticBatch synthetic = SyntheticBatch.of(batch, s.spec().numClasses());
        OptimizerSpec optimizer = new OptimizerSpec(batch, 11.5, 0.85, 0.0153, 64);   // airbench94's; work is the same
        LOG.info("profile: building the {} model: {} network {}, batch {}, {}, {} threads", lower(s.compilation()),
                s.network(), s.spec().widths(), batch, lower(s.precision()), s.threads());
        List<String> layerOrder = new ArrayList<>(AirbenchNetwork.layerScopes(s.spec().widths().size()));
        layerOrder.add("loss");
        boolean evaluation = s.run() == ProfiledRun.EVALUATION;
        boolean trainWhitenBias = s.run() != ProfiledRun.FROZEN_WHITENING_STEP;
        try (AirbenchModel model = new AirbenchModel(s.spec(), s.precision(), optimizer, s.threads(), s.compilation())) {
            model.initialize(synthetic.whitening(), SyntheticBatch.SEED);
            Runnable untracedRun = evaluation ? () -> model.logits(synthetic.images(), batch)
                    : () -> model.trainStep(synthetic.images(), synthetic.labels(), batch, LR_MULTIPLIER,
                            trainWhitenBias, null);
            for (int w = 0; w < s.warmup(); w++) {
                untracedRun.run();
            }
            double[] untraced = new double[s.steps()];
            for (int i = 0; i < s.steps(); i++) {
                long start = System.nanoTime();
                untracedRun.run();
                untraced[i] = (System.nanoTime() - start) / 1e6;
            }
            List<StepTrace> traces = new ArrayList<>();
            double[] traced = new double[s.steps()];
            for (int i = 0; i < s.steps(); i++) {
                if (evaluation) {
                    AirbenchModel.TracedLogits pass = model.tracedLogits(synthetic.images(), batch);
                    traced[i] = pass.wallMillis();
                    traces.add(StepTrace.of(pass.metadata(), layerOrder));
                } else {
                    AirbenchModel.TracedStep step = model.tracedTrainStep(synthetic.images(), synthetic.labels(),
                            batch, LR_MULTIPLIER, trainWhitenBias);
                    traced[i] = step.wallMillis();
                    traces.add(StepTrace.of(step.metadata(), layerOrder));
                }
            }
            StepTrace trace = StepTrace.mean(traces);
            List<ConvolutionRow> convolutions = convolutionRows(trace, model.convolutions(), batch);
            return new Report(s, runtime, List.copyOf(peaks), trace, convolutions, TimingStats.of(untraced),
                    TimingStats.of(traced), startedAt, (System.nanoTime() - wallStart) / 1e9);
        }
    }

    /**
     * The trace's convolution nodes with their FLOPs, by node name from the graph's convolutions (or a name one runs
     * under when Grappler fused it with its consumer).
     */
    static List<ConvolutionRow> convolutionRows(StepTrace trace, List<ConvolutionCost> costs, int batch) {
        Map<String, ConvolutionCost> byNode = new HashMap<>();
        for (ConvolutionCost c : costs) {
            c.fusedNames().forEach(name -> byNode.put(name, c));
            byNode.put(c.node(), c);
        }
        List<ConvolutionRow> rows = new ArrayList<>();
        for (StepTrace.NodeTime n : trace.nodes()) {
            Optional<ConvolutionCost.Kind> kind = ConvolutionCost.Kind.ofOpType(n.opType());
            if (n.category() != StepTrace.Category.CONVOLUTION || kind.isEmpty()) {
                continue;
            }
            ConvolutionCost cost = byNode.get(n.name());
            rows.add(new ConvolutionRow(n.name(), n.layer(), kind.get(), n.opType(), cost,
                    cost == null ? Double.NaN : cost.flops(batch), n.micros()));
        }
        return rows;
    }

    /** The table: the peaks, the step's times, its kinds of work, op types, layers and convolutions. */
    public static String table(Report report) {
        Settings s = report.settings();
        StepTrace trace = report.trace();
        MachinePeak peak = report.peak();
        StringBuilder out = new StringBuilder();
        String nl = System.lineSeparator();
        out.append(String.format(Locale.ROOT, "profile: airbench%s network (widths %s), batch %d, %s, %s, %d intra-op"
                        + " threads, %s step; %d untraced and %d traced steps after %d warm-up%n", s.network(),
                s.spec().widths().stream().map(String::valueOf).collect(Collectors.joining("/")), s.batchSize(),
                lower(s.precision()), lower(s.compilation()), s.threads(),
                s.run().label(), s.steps(), s.steps(), s.warmup()));
        out.append("TensorFlow: ").append(report.runtime().describe()).append(nl);
        for (MachinePeak p : report.peaks()) {
            out.append("peak: ").append(p.describe()).append(p == peak ? "  <- the step's precision" : "").append(nl);
        }
        out.append(String.format(Locale.ROOT, "step: untraced median %.1f ms, traced %.1f ms; traced nodes sum to %.1f"
                        + " ms over a span of %.1f ms%n", report.untracedMillis().median(),
                report.tracedMillis().median(), trace.totalMicros() / 1e3, trace.spanMicros() / 1e3));
        out.append(String.format(Locale.ROOT, "memory-bound share: %.1f%% of the traced node time%n",
                100 * trace.memoryBoundShare()));
        out.append(String.format(Locale.ROOT, "convolutions: %.2f GFLOP per step in %.1f ms = %.0f GFLOP/s, %.0f%% of"
                        + " the %s peak; the whole untraced step at %.0f GFLOP/s of convolution work, %.0f%% of it%n",
                report.convolutionFlops() / 1e9, report.convolutionMicros() / 1e3, report.convolutionGflops(),
                100 * report.convolutionGflops() / peak.gflops(), lower(peak.precision()), report.stepGflops(),
                100 * report.stepGflops() / peak.gflops()));
        shares(out, "kind of work", trace.byCategory(), Integer.MAX_VALUE);
        shares(out, "op type", trace.byOpType(), TABLE_OP_TYPES);
        shares(out, "layer and pass", trace.byLayer(), Integer.MAX_VALUE);
        // As wide as the longest node name ("optimizer/frozen_whitening/Gradients/Conv2DBackpropInput_5").
        int width = report.convolutions().stream().mapToInt(c -> c.node().length()).max().orElse(0);
        String row = "%-" + Math.max(width, 16) + "s %-8s %-15s %-20s %8s %9s %9s %7s%n";
        out.append(String.format(Locale.ROOT, row, "convolution node", "layer", "kind", "output <- kernel", "GFLOP", "ms",
                "GFLOP/s", "% peak"));
        for (ConvolutionRow c : report.convolutions()) {
            out.append(String.format(Locale.ROOT, row, c.node(), c.layer(), c.kind().label(), c.shape(),
                    String.format(Locale.ROOT, "%.3f", c.flops() / 1e9), String.format(Locale.ROOT, "%.2f", c.micros() / 1e3),
                    String.format(Locale.ROOT, "%.0f", c.gflops()),
                    String.format(Locale.ROOT, "%.0f", 100 * c.gflops() / peak.gflops())));
        }
        if (report.convolutions().stream().anyMatch(c -> c.gflops() > peak.gflops())) {
            // A convolution cannot outrun the densest arithmetic of the machine: the product was too small to be
            // arithmetic-bound (its fixed costs dominate), or the machine was busier while it ran.
            out.append(String.format(Locale.ROOT, "note: a convolution ran faster than the %d^3 product; that peak is"
                    + " no peak (too small a --peak-size, or a busy machine)%n", peak.size()));
        }
        return out.toString();
    }

    private static void shares(StringBuilder out, String title, List<StepTrace.Share> shares, int limit) {
        out.append(String.format(Locale.ROOT, "%-48s %6s %9s %7s%n", "by " + title, "nodes", "ms", "share"));
        shares.stream().limit(limit).forEach(sh -> out.append(String.format(Locale.ROOT, "  %-46s %6d %9.2f %6.1f%%%n",
                sh.key(), sh.nodes(), sh.micros() / 1e3, 100 * sh.fraction())));
    }

    /** Logs the table line by line (the profile's console output). */
    public static void log(Report report) {
        table(report).lines().forEach(LOG::info);
    }

    /** The JSON document: settings, machine, peaks, times, every sum, every convolution and every node. */
    public static Map<String, Object> json(Report report) {
        Settings s = report.settings();
        StepTrace trace = report.trace();
        Map<String, Object> root = TimingReport.jsonRoot(StepProfile.class, report.startedAt(), report.wallSeconds());
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("recipe_network", s.network());
        settings.put("widths", s.spec().widths());
        settings.put("batch_size", s.batchSize());
        settings.put("precision", lower(s.precision()));
        settings.put("compilation", lower(s.compilation()));
        settings.put("intra_op_threads", s.threads());
        settings.put("inter_op_threads", 1);
        settings.put("warmup_steps", s.warmup());
        settings.put("steps", s.steps());
        settings.put("step", s.run().description());
        settings.put("peak_size", s.peakSize());
        settings.put("peak_repetitions", s.peakRepetitions());
        root.put("settings", settings);
        root.put("provenance", Provenance.collect());
        root.put("runtime", report.runtime().toMap());
        List<Map<String, Object>> peaks = new ArrayList<>();
        for (MachinePeak p : report.peaks()) {
            Map<String, Object> peak = new LinkedHashMap<>();
            peak.put("precision", lower(p.precision()));
            peak.put("size", p.size());
            peak.put("op_type", p.opType());
            peak.put("best_ms", p.bestMillis());
            peak.put("median_ms", p.medianMillis());
            peak.put("gflops", p.gflops());
            peak.put("median_gflops", p.medianGflops());
            peaks.add(peak);
        }
        root.put("peaks", peaks);
        Map<String, Object> step = new LinkedHashMap<>();
        step.put("untraced_median_ms", report.untracedMillis().median());
        step.put("untraced_samples_ms", report.untracedMillis().samples());
        step.put("traced_median_ms", report.tracedMillis().median());
        step.put("traced_node_sum_ms", trace.totalMicros() / 1e3);
        step.put("traced_span_ms", trace.spanMicros() / 1e3);
        step.put("memory_bound_share", trace.memoryBoundShare());
        step.put("convolution_gflop", report.convolutionFlops() / 1e9);
        step.put("convolution_ms", report.convolutionMicros() / 1e3);
        step.put("convolution_gflops", report.convolutionGflops());
        step.put("convolution_fraction_of_peak", report.convolutionGflops() / report.peak().gflops());
        step.put("step_gflops", report.stepGflops());
        step.put("step_fraction_of_peak", report.stepGflops() / report.peak().gflops());
        root.put("step", step);
        root.put("by_category", sharesJson(trace.byCategory()));
        root.put("by_op_type", sharesJson(trace.byOpType()));
        root.put("by_layer", sharesJson(trace.byLayer()));
        List<Map<String, Object>> convolutions = new ArrayList<>();
        for (ConvolutionRow c : report.convolutions()) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("node", c.node());
            row.put("layer", c.layer());
            row.put("kind", c.kind().label());
            row.put("op_type", c.opType());
            row.put("output", c.cost() == null ? null : c.cost().output().asArray());
            row.put("filter", c.cost() == null ? null : c.cost().filter().asArray());
            row.put("gflop", Double.isNaN(c.flops()) ? null : c.flops() / 1e9);
            row.put("ms", c.micros() / 1e3);
            row.put("gflops", Double.isNaN(c.flops()) ? null : c.gflops());
            row.put("fraction_of_peak", Double.isNaN(c.flops()) ? null : c.gflops() / report.peak().gflops());
            convolutions.add(row);
        }
        root.put("convolutions", convolutions);
        List<Map<String, Object>> nodes = new ArrayList<>();
        for (StepTrace.NodeTime n : trace.nodes()) {
            Map<String, Object> node = new LinkedHashMap<>();
            node.put("name", n.name());
            node.put("op_type", n.opType());
            node.put("layer", n.layer());
            node.put("pass", n.pass().label());
            node.put("category", n.category().label());
            node.put("start_us", n.startMicros());
            node.put("us", n.micros());
            nodes.add(node);
        }
        root.put("nodes", nodes);
        root.put("notes", List.of("node times are all_end_rel_micros of TensorFlow's FULL_TRACE step statistics, the"
                        + " mean over the traced steps; tracing slows each node a little",
                "convolution FLOPs: 2 N Ho Wo Cout Kh Kw Cin for the forward pass and each of its two gradients",
                "memory-bound: every op but convolutions, matrix products and bookkeeping (constants, shapes,"
                        + " variables, XLA launch control); XLA clusters count as memory-bound: they hold no convolution",
                "peak: the fastest of the timed n x n matrix products, 2 n^3 FLOPs"));
        return root;
    }

    private static List<Map<String, Object>> sharesJson(List<StepTrace.Share> shares) {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (StepTrace.Share sh : shares) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("key", sh.key());
            row.put("nodes", sh.nodes());
            row.put("ms", sh.micros() / 1e3);
            row.put("share", sh.fraction());
            rows.add(row);
        }
        return rows;
    }

    private static String lower(Enum<?> value) {
        return value.name().toLowerCase(Locale.ROOT);
    }
}

package airbench.tools;

import airbench.data.Batch;
import airbench.data.BatchSource;
import airbench.eval.TestTimeAugmentation;
import airbench.model.AirbenchModel;
import airbench.model.Compilation;
import airbench.model.NetworkSpec;
import airbench.model.LossSpec;
import airbench.model.OptimizerSpec;
import airbench.model.Precision;
import airbench.model.TensorFlowRuntime;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.tensorflow.ndarray.Shape;

/**
 * The step-by-step parity harness between this project's training step and an independent PyTorch
 * implementation of docs/METHOD.md ({@code parity_torch.py}). Into one folder it writes a case: the
 * hyperparameters, the initial weights and whitening filters of a seed, the exact batches of k steps
 * after augmentation and some normalized test images. It trains those k steps here (the trainer's
 * own {@link AirbenchModel} step, fed the schedule values the trainer would feed), then has PyTorch
 * train the same k steps from the same weights on the same batches, computing its schedule and
 * Lookahead from the hyperparameters alone, and compares per step (loss, schedule) and per tensor
 * (weights and BatchNorm statistics after the first and the last step, eval-mode logits at every TTA
 * level). Both sides run float32 on the CPU; where float32 round-off is all that differs, the
 * differences are about 1e-6 relative after one step and grow slowly with the steps.
 *
 * <p>Layout of the folder: {@code case.json}; {@code init/NAME.f32} (each network variable, TensorFlow
 * layouts, little-endian float32, "/" in names replaced by "."); {@code batches.f32} [k, B, 32, 32, 3];
 * {@code labels.i32} [k, B]; {@code test.f32} [n, 32, 32, 3] and {@code test-labels.i32};
 * {@code java/} and {@code torch/} with {@code steps.json}, {@code after-first-step/}, {@code final/}
 * and {@code logits-level{0,1,2}.f32}; {@code parity.json}, the comparison.
 */
public final class Parity {
    private static final Logger LOG = LogManager.getLogger(Parity.class);
    static final String SCRIPT = "parity_torch.py";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    /** Relative differences above this mark where the two sides part (float32 round-off stays far below). */
    static final double PART_THRESHOLD = 1e-3;

    private Parity() {}

    /**
     * The schedule hyperparameters, as docs/METHOD.md states them; the PyTorch side computes its own
     * schedule from these, so a mismatch with the values the trainer uses shows in the comparison.
     */
    public record ScheduleSpec(int stepsPerEpoch, int totalSteps, double warmupFraction, double finalLrMultiplier,
                               double whitenBiasEpochs) {}

    /** What the trainer does at one step: the values it feeds the graph. */
    public record StepPlan(int step, double lrMultiplier, boolean trainsWhitenBias, Double lookaheadAlpha,
                           boolean lastStepOfRun) {}

    /**
     * One comparison.
     *
     * @param name       what is compared ("94", "94 + residual", ...), for the report
     * @param firstStep  the schedule position of the first step (the weights are the seed's initial ones)
     * @param plan       the trainer's values for steps firstStep .. firstStep + k - 1
     * @param testImages how many test images to evaluate (the first n)
     * @param recordStates write the whole training state (weights, running statistics, momentum buffers,
     *                   Lookahead copies) before the first step and after every step, for {@link TorchRun#REPLAY}
     */
    public record Case(String name, long seed, NetworkSpec network, OptimizerSpec optimizer, LossSpec loss,
                       ScheduleSpec schedule,
                       Precision precision, Compilation compilation, int threads, int firstStep, List<StepPlan> plan,
                       int testImages, boolean recordStates) {
        public Case {
            plan = List.copyOf(plan);
            if (plan.isEmpty()) {
                throw new IllegalArgumentException("a parity case needs at least one step");
            }
        }

        int steps() {
            return plan.size();
        }
    }

    /**
     * Writes the case into {@code folder} and trains it on this side.
     *
     * @param whitening    the whitening filters, computed as the trainer computes them
     * @param batches      the trainer's batch source of this seed (step t is batch t % stepsPerEpoch of
     *                     epoch t / stepsPerEpoch)
     * @param testImages   normalized NHWC test images, at least {@code c.testImages()}
     */
    public static void prepareAndRunJava(Case c, float[] whitening, BatchSource batches, float[] testImages,
                                         int[] testLabels, Path folder) throws IOException {
        Files.createDirectories(folder);
        int batch = c.optimizer().batchSize();
        int imageValues = NetworkSpec.IMAGE_SIZE * NetworkSpec.IMAGE_SIZE * NetworkSpec.CHANNELS;
        TensorFlowRuntime.ensureConfigured();
        try (AirbenchModel model = new AirbenchModel(c.network(), c.precision(), c.optimizer(), c.loss(),
                c.threads(), c.compilation(), null)) {
            model.initialize(whitening, c.seed());
            Map<String, float[]> initial = model.networkState();
            writeState(folder.resolve("init"), initial);
            writeCase(c, networkShapes(model, initial.keySet()), folder);
            float[] test = java.util.Arrays.copyOf(testImages, c.testImages() * imageValues);
            writeFloats(folder.resolve("test.f32"), test);
            writeInts(folder.resolve("test-labels.i32"), java.util.Arrays.copyOf(testLabels, c.testImages()));

            if (c.recordStates()) {
                writeState(folder.resolve(JAVA + "/" + stateFolder(0)), model.state());
            }
            List<Map<String, Object>> log = new ArrayList<>();
            float[] allImages = new float[c.steps() * batch * imageValues];
            int[] allLabels = new int[c.steps() * batch];
            for (int i = 0; i < c.steps(); i++) {
                StepPlan p = c.plan().get(i);
                Batch b = batches.batch(p.step() / c.schedule().stepsPerEpoch(), p.step() % c.schedule().stepsPerEpoch());
                System.arraycopy(b.images(), 0, allImages, i * batch * imageValues, batch * imageValues);
                System.arraycopy(b.labels(), 0, allLabels, i * batch, batch);
                AirbenchModel.StepResult r = model.trainStep(b.images(), b.labels(), batch, p.lrMultiplier(),
                        p.trainsWhitenBias(), p.lookaheadAlpha());
                if (p.lastStepOfRun()) {
                    model.lookahead(1.0);
                }
                Map<String, Object> entry = new LinkedHashMap<>();
                entry.put("step", p.step());
                entry.put("loss_sum", r.lossSum());
                entry.put("correct", r.correct());
                entry.put("lr_multiplier", p.lrMultiplier());
                entry.put("trains_whiten_bias", p.trainsWhitenBias());
                entry.put("lookahead_alpha", p.lookaheadAlpha());
                log.add(entry);
                LOG.info("java step {}: loss {}", p.step(), String.format(Locale.ROOT, "%.6f", r.lossSum() / batch));
                if (c.recordStates()) {
                    writeState(folder.resolve(JAVA + "/" + stateFolder(i + 1)), model.state());
                }
                if (i == 0) {
                    writeState(folder.resolve("java/after-first-step"), model.networkState());
                }
            }
            writeFloats(folder.resolve("batches.f32"), allImages);
            writeInts(folder.resolve("labels.i32"), allLabels);
            writeState(folder.resolve("java/final"), model.networkState());
            float[][] levels = TestTimeAugmentation.logitsUpToLevel(model::logits, test, c.testImages(),
                    TestTimeAugmentation.MAX_LEVEL);
            for (int level = 0; level < levels.length; level++) {
                writeFloats(folder.resolve("java/logits-level" + level + ".f32"), levels[level]);
            }
            JSON.writeValue(folder.resolve("java/steps.json").toFile(), Map.of("steps", log));
        }
    }

    /**
     * The PyTorch runs over a prepared folder, each into its own subfolder. The second layout sums the
     * same float32 arithmetic in other orders: its difference from the first is the noise floor, how far
     * round-off alone carries two correct implementations apart. A replay starts every step from the
     * Java side's whole state before it (a case prepared with {@code recordStates}), so that each step
     * is compared on its own, without the differences of earlier steps carried along.
     */
    public enum TorchRun {
        /** The comparison itself: channels-last, PyTorch's faster layout here. */
        MAIN("torch", List.of()),
        /** The same in the contiguous layout. */
        NOISE_FLOOR("torch-contiguous", List.of("--layout", "contiguous")),
        /** Every step from the Java side's state before it. */
        REPLAY("torch-replay", List.of("--replay")),
        /** The replay in the contiguous layout: the per-step noise floor. */
        REPLAY_NOISE_FLOOR("torch-replay-contiguous", List.of("--replay", "--layout", "contiguous"));

        /** Output subfolder. */
        public final String side;
        private final List<String> arguments;

        TorchRun(String side, List<String> arguments) {
            this.side = side;
            this.arguments = arguments;
        }
    }

    /** Runs one PyTorch run on a prepared folder; the outcome says whether PyTorch was there and how it ended. */
    public static PythonScript.Outcome runTorch(TorchRun run, Path folder, List<String> pythons, int threads) {
        List<String> arguments = new ArrayList<>(List.of("--case", folder.toAbsolutePath().toString(),
                "--threads", String.valueOf(threads), "--side", run.side));
        arguments.addAll(run.arguments);
        return PythonScript.run(SCRIPT, arguments, pythons, run.side);
    }

    /** Where to look for PyTorch when none is named. */
    public static List<String> defaultPythons() {
        return PythonScript.DEFAULT_PYTHONS;
    }

    static String stateFolder(int stepsDone) {
        return String.format(Locale.ROOT, "state-%03d", stepsDone);
    }

    /** One step from identical states: the loss and, per kind of state, the tensor that differs most. */
    public record ReplayStep(int step, double lossRelative, Map<String, TensorDiff> worstByKind) {}

    /** Compares every step of the replay side with the Java side's state after that step; writes parity-replay.json. */
    public static List<ReplayStep> compareReplay(Path folder) throws IOException {
        return compareReplay(folder, JAVA, TorchRun.REPLAY.side, "parity-replay.json");
    }

    /** Compares the states of side {@code a} and side {@code b} after every replayed step; writes {@code jsonName}. */
    public static List<ReplayStep> compareReplay(Path folder, String a, String b, String jsonName) throws IOException {
        JsonNode javaSteps = JSON.readTree(folder.resolve(a + "/steps.json").toFile()).path("steps");
        JsonNode torchSteps = JSON.readTree(folder.resolve(b + "/steps.json").toFile()).path("steps");
        List<ReplayStep> out = new ArrayList<>();
        for (int i = 0; i < torchSteps.size(); i++) {
            double lossA = javaSteps.get(i).path("loss_sum").asDouble();
            double lossB = torchSteps.get(i).path("loss_sum").asDouble();
            Path javaState = folder.resolve(a + "/" + stateFolder(i + 1));
            Path torchState = folder.resolve(b + "/" + stateFolder(i + 1));
            Map<String, TensorDiff> worst = new LinkedHashMap<>();
            try (var files = Files.list(torchState)) {
                for (Path file : files.sorted().toList()) {
                    String name = file.getFileName().toString().replaceAll("\\.f32$", "").replace('.', '/');
                    String kind = name.startsWith("momentum/") ? "momentum" : name.startsWith("lookahead/") ? "lookahead"
                            : name.endsWith("/mean") || name.endsWith("/variance") ? "running statistics" : "weights";
                    TensorDiff d = diff("step " + javaSteps.get(i).path("step").asInt(), name,
                            readFloats(javaState.resolve(file.getFileName())), readFloats(file));
                    if (!worst.containsKey(kind) || d.relative() > worst.get(kind).relative()) {
                        worst.put(kind, d);
                    }
                }
            }
            out.add(new ReplayStep(javaSteps.get(i).path("step").asInt(), Math.abs(lossA - lossB) / Math.abs(lossB),
                    worst));
        }
        JSON.writeValue(folder.resolve(jsonName).toFile(), out);
        return out;
    }

    /** The replay comparison as a table: per step, the worst tensor of each kind. */
    public static String replayTable(List<ReplayStep> steps) {
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "%-5s %10s  %-44s %-44s %-44s %-44s%n", "step", "loss rel", "weights",
                "running statistics", "momentum", "lookahead"));
        for (ReplayStep r : steps) {
            s.append(String.format(Locale.ROOT, "%-5d %10.2e ", r.step(), r.lossRelative()));
            for (String kind : List.of("weights", "running statistics", "momentum", "lookahead")) {
                TensorDiff d = r.worstByKind().get(kind);
                s.append(String.format(Locale.ROOT, " %-44s", d == null ? "-"
                        : String.format(Locale.ROOT, "%.2e %s", d.relative(), d.name())));
            }
            s.append(System.lineSeparator());
        }
        return s.toString();
    }

    /** Output subfolder of the Java side (the PyTorch runs' are {@link TorchRun#side}). */
    public static final String JAVA = "java";

    /** One tensor compared: the largest absolute difference relative to the largest PyTorch magnitude. */
    public record TensorDiff(String stage, String name, long size, double maxAbsDiff, double scale) {
        public double relative() {
            return scale == 0 ? maxAbsDiff : maxAbsDiff / scale;
        }
    }

    /** One step compared: the summed losses and the schedule values each side used. */
    public record StepDiff(int step, double javaLoss, double torchLoss, double javaLr, double torchLr,
                           boolean javaWhiten, boolean torchWhiten, Double javaAlpha, Double torchAlpha) {
        public double lossRelative() {
            return Math.abs(javaLoss - torchLoss) / Math.max(Math.abs(torchLoss), 1e-30);
        }

        public boolean scheduleAgrees() {
            boolean alphas = javaAlpha == null ? torchAlpha == null
                    : torchAlpha != null && Math.abs(javaAlpha - torchAlpha) <= 1e-12;
            return Math.abs(javaLr - torchLr) <= 1e-12 && javaWhiten == torchWhiten && alphas;
        }
    }

    /** Eval-mode logits at one TTA level: largest relative difference and arg-max agreement. */
    public record LogitsDiff(int level, double relative, int sameArgMax, int images, int javaCorrect,
                             int torchCorrect) {}

    /** The whole comparison, and where (if anywhere) the two sides part. */
    public record Report(String name, List<StepDiff> steps, List<TensorDiff> tensors, List<LogitsDiff> logits,
                         String verdict) {

        public double worstTensor(String stage) {
            return tensors.stream().filter(t -> t.stage().equals(stage)).mapToDouble(TensorDiff::relative)
                    .max().orElse(0);
        }

        public double worstLoss() {
            return steps.stream().mapToDouble(StepDiff::lossRelative).max().orElse(0);
        }
    }

    /** Reads both sides' outputs from a folder where both have run, compares them, and writes parity.json. */
    public static Report compare(Path folder) throws IOException {
        return compare(folder, JAVA, TorchRun.MAIN.side, "parity.json");
    }

    /**
     * Compares the outputs of side {@code a} (in the report's "java" columns) with those of side
     * {@code b} ("torch" columns) and writes the comparison to {@code jsonName} in the folder.
     */
    public static Report compare(Path folder, String a, String b, String jsonName) throws IOException {
        JsonNode c = JSON.readTree(folder.resolve("case.json").toFile());
        JsonNode javaSteps = JSON.readTree(folder.resolve(a + "/steps.json").toFile()).path("steps");
        JsonNode torchSteps = JSON.readTree(folder.resolve(b + "/steps.json").toFile()).path("steps");
        if (javaSteps.size() != torchSteps.size()) {
            throw new IllegalStateException("the two sides ran different numbers of steps: " + a + " "
                    + javaSteps.size() + ", " + b + " " + torchSteps.size() + " (in " + folder + ")");
        }
        List<StepDiff> steps = new ArrayList<>();
        for (int i = 0; i < javaSteps.size(); i++) {
            JsonNode j = javaSteps.get(i);
            JsonNode t = torchSteps.get(i);
            steps.add(new StepDiff(j.path("step").asInt(), j.path("loss_sum").asDouble(), t.path("loss_sum").asDouble(),
                    j.path("lr_multiplier").asDouble(), t.path("lr_multiplier").asDouble(),
                    j.path("trains_whiten_bias").asBoolean(), t.path("trains_whiten_bias").asBoolean(),
                    alpha(j), alpha(t)));
        }
        List<TensorDiff> tensors = new ArrayList<>();
        for (String stage : List.of("after-first-step", "final")) {
            for (var field : iterable(c.path("tensors").fieldNames())) {
                tensors.add(diff(stage, field, readFloats(folder.resolve(a + "/" + stage + "/" + fileName(field))),
                        readFloats(folder.resolve(b + "/" + stage + "/" + fileName(field)))));
            }
        }
        int n = c.path("test_images").asInt();
        int classes = c.path("network").path("num_classes").asInt();
        int[] labels = readInts(folder.resolve("test-labels.i32"));
        List<LogitsDiff> logits = new ArrayList<>();
        for (int level = 0; level <= TestTimeAugmentation.MAX_LEVEL; level++) {
            float[] la = readFloats(folder.resolve(a + "/logits-level" + level + ".f32"));
            float[] lb = readFloats(folder.resolve(b + "/logits-level" + level + ".f32"));
            TensorDiff d = diff("logits", "level " + level, la, lb);
            int same = 0;
            int javaCorrect = 0;
            int torchCorrect = 0;
            for (int i = 0; i < n; i++) {
                int pa = argMax(la, i, classes);
                int pb = argMax(lb, i, classes);
                same += pa == pb ? 1 : 0;
                javaCorrect += pa == labels[i] ? 1 : 0;
                torchCorrect += pb == labels[i] ? 1 : 0;
            }
            logits.add(new LogitsDiff(level, d.relative(), same, n, javaCorrect, torchCorrect));
        }
        Report report = new Report(c.path("name").asText() + ": " + a + " vs " + b, steps, tensors, logits,
                verdict(steps, tensors, logits));
        JSON.writeValue(folder.resolve(jsonName).toFile(), json(report, c));
        return report;
    }

    /** Where the sides part: the first schedule mismatch, else the first step or tensor beyond the threshold. */
    static String verdict(List<StepDiff> steps, List<TensorDiff> tensors, List<LogitsDiff> logits) {
        for (StepDiff s : steps) {
            if (!s.scheduleAgrees()) {
                return String.format(Locale.ROOT, "the schedules differ at step %d: lr multiplier %s vs %s, whitening"
                                + " bias trains %s vs %s, Lookahead alpha %s vs %s (java vs torch)", s.step(),
                        s.javaLr(), s.torchLr(), s.javaWhiten(), s.torchWhiten(), s.javaAlpha(), s.torchAlpha());
            }
        }
        for (TensorDiff t : tensors) {
            if (t.stage().equals("after-first-step") && t.relative() > PART_THRESHOLD) {
                return String.format(Locale.ROOT, "they part in the first step: %s differs by %.3g relative",
                        t.name(), t.relative());
            }
        }
        for (StepDiff s : steps) {
            if (s.lossRelative() > PART_THRESHOLD) {
                return String.format(Locale.ROOT, "they part at step %d: loss %.7g vs %.7g (%.3g relative)",
                        s.step(), s.javaLoss(), s.torchLoss(), s.lossRelative());
            }
        }
        for (TensorDiff t : tensors) {
            if (t.relative() > PART_THRESHOLD) {
                return String.format(Locale.ROOT, "the losses agree but %s after the last step differs by %.3g relative",
                        t.name(), t.relative());
            }
        }
        for (LogitsDiff l : logits) {
            if (l.relative() > PART_THRESHOLD) {
                return String.format(Locale.ROOT, "training agrees but the eval logits at TTA level %d differ by"
                        + " %.3g relative", l.level(), l.relative());
            }
        }
        return String.format(Locale.ROOT, "they agree to float32 round-off: every step, tensor and logit within"
                + " %.0e relative", PART_THRESHOLD);
    }

    /** The comparison as a table. */
    public static String table(Report r) {
        StringBuilder s = new StringBuilder();
        s.append("parity: ").append(r.name()).append(System.lineSeparator());
        s.append(String.format(Locale.ROOT, "%-6s %14s %14s %10s  %s%n", "step", "java loss", "torch loss",
                "rel diff", "schedule (lr multiplier, whitening bias, Lookahead a)"));
        for (StepDiff d : r.steps()) {
            s.append(String.format(Locale.ROOT, "%-6d %14.7g %14.7g %10.2e  %.6f %s %s%s%n", d.step(), d.javaLoss(),
                    d.torchLoss(), d.lossRelative(), d.javaLr(), d.javaWhiten() ? "trains" : "frozen",
                    d.javaAlpha() == null ? "-" : String.format(Locale.ROOT, "%.6g", d.javaAlpha()),
                    d.scheduleAgrees() ? "" : "  TORCH DIFFERS"));
        }
        s.append(String.format(Locale.ROOT, "%-18s %-28s %10s %12s %10s%n", "after", "tensor", "size", "max |diff|",
                "relative"));
        for (TensorDiff t : r.tensors()) {
            s.append(String.format(Locale.ROOT, "%-18s %-28s %10d %12.3e %10.2e%n", t.stage(), t.name(), t.size(),
                    t.maxAbsDiff(), t.relative()));
        }
        s.append(String.format(Locale.ROOT, "%-10s %10s %16s %14s %14s%n", "TTA level", "relative", "same arg-max",
                "java correct", "torch correct"));
        for (LogitsDiff l : r.logits()) {
            s.append(String.format(Locale.ROOT, "%-10d %10.2e %10d / %-4d %14d %14d%n", l.level(), l.relative(),
                    l.sameArgMax(), l.images(), l.javaCorrect(), l.torchCorrect()));
        }
        s.append("verdict: ").append(r.verdict()).append(System.lineSeparator());
        return s.toString();
    }

    private static Map<String, Object> json(Report r, JsonNode c) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("name", r.name());
        out.put("case", c);
        out.put("verdict", r.verdict());
        out.put("worst_loss_relative", r.worstLoss());
        out.put("worst_tensor_relative_after_first_step", r.worstTensor("after-first-step"));
        out.put("worst_tensor_relative_final", r.worstTensor("final"));
        List<Map<String, Object>> steps = new ArrayList<>();
        for (StepDiff d : r.steps()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("step", d.step());
            m.put("java_loss_sum", d.javaLoss());
            m.put("torch_loss_sum", d.torchLoss());
            m.put("loss_relative", d.lossRelative());
            m.put("schedule_agrees", d.scheduleAgrees());
            steps.add(m);
        }
        out.put("steps", steps);
        List<Map<String, Object>> tensors = new ArrayList<>();
        for (TensorDiff t : r.tensors()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("after", t.stage());
            m.put("tensor", t.name());
            m.put("size", t.size());
            m.put("max_abs_diff", t.maxAbsDiff());
            m.put("torch_max_abs", t.scale());
            m.put("relative", t.relative());
            tensors.add(m);
        }
        out.put("tensors", tensors);
        out.put("logits", r.logits());
        return out;
    }

    private static TensorDiff diff(String stage, String name, float[] a, float[] b) {
        if (a.length != b.length) {
            throw new IllegalStateException(name + " (" + stage + ") has " + a.length + " values on the Java side and "
                    + b.length + " on the PyTorch side");
        }
        double max = 0;
        double scale = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs((double) a[i] - b[i]));
            scale = Math.max(scale, Math.abs(b[i]));
        }
        return new TensorDiff(stage, name, a.length, max, scale);
    }

    private static int argMax(float[] logits, int row, int classes) {
        int best = 0;
        for (int k = 1; k < classes; k++) {
            if (logits[row * classes + k] > logits[row * classes + best]) {
                best = k;
            }
        }
        return best;
    }

    private static Double alpha(JsonNode step) {
        JsonNode a = step.path("lookahead_alpha");
        return a.isNumber() ? a.asDouble() : null;
    }

    private static <T> Iterable<T> iterable(java.util.Iterator<T> it) {
        return () -> it;
    }

    /** The shapes of the network's own variables (not momentum buffers or Lookahead copies). */
    private static Map<String, Shape> networkShapes(AirbenchModel model, java.util.Set<String> networkVariables) {
        Map<String, Shape> all = model.stateShapes();
        Map<String, Shape> shapes = new LinkedHashMap<>();
        for (String name : networkVariables) {
            shapes.put(name, all.get(name));
        }
        return shapes;
    }

    private static void writeCase(Case c, Map<String, Shape> shapes, Path folder) throws IOException {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("format", 1);
        doc.put("name", c.name());
        doc.put("seed", c.seed());
        Map<String, Object> network = new LinkedHashMap<>();
        network.put("widths", c.network().widths());
        network.put("convs_per_block", c.network().convsPerBlock());
        network.put("residual", c.network().residual());
        network.put("batch_norm_memory", c.network().batchNormMemory());
        network.put("batch_norm_epsilon", (double) (float) c.network().batchNormEpsilon());
        network.put("head_scale", (double) c.network().head().factor(c.network().widths().get(2)));
        network.put("num_classes", c.network().numClasses());
        doc.put("network", network);
        OptimizerSpec o = c.optimizer();
        doc.put("optimizer", Map.of("batch_size", o.batchSize(), "lr_per1024", o.lrPer1024(), "momentum", o.momentum(),
                "wd_per1024", o.wdPer1024(), "bias_lr_scale", o.biasLrScale(), "label_smoothing", c.loss().labelSmoothing()));
        ScheduleSpec s = c.schedule();
        doc.put("schedule", Map.of("steps_per_epoch", s.stepsPerEpoch(), "total_steps", s.totalSteps(),
                "warmup_fraction", s.warmupFraction(), "final_lr_multiplier", s.finalLrMultiplier(),
                "whiten_bias_epochs", s.whitenBiasEpochs()));
        doc.put("first_step", c.firstStep());
        doc.put("steps", c.steps());
        doc.put("test_images", c.testImages());
        doc.put("java_precision", c.precision().name().toLowerCase(Locale.ROOT));
        doc.put("java_compile", c.compilation().name().toLowerCase(Locale.ROOT));
        doc.put("java_runtime", TensorFlowRuntime.status().toMap());
        Map<String, Object> tensorShapes = new LinkedHashMap<>();
        shapes.forEach((name, shape) -> tensorShapes.put(name, shape.asArray()));
        doc.put("tensors", tensorShapes);
        JSON.writeValue(folder.resolve("case.json").toFile(), doc);
    }

    private static String fileName(String variable) {
        return variable.replace('/', '.') + ".f32";
    }

    private static void writeState(Path dir, Map<String, float[]> state) throws IOException {
        Files.createDirectories(dir);
        for (Map.Entry<String, float[]> e : state.entrySet()) {
            writeFloats(dir.resolve(fileName(e.getKey())), e.getValue());
        }
    }

    static void writeFloats(Path file, float[] values) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        buffer.asFloatBuffer().put(values);
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.write(file, buffer.array());
    }

    static void writeInts(Path file, int[] values) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        buffer.asIntBuffer().put(values);
        Files.write(file, buffer.array());
    }

    static float[] readFloats(Path file) {
        try {
            ByteBuffer buffer = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
            float[] values = new float[buffer.remaining() / 4];
            buffer.asFloatBuffer().get(values);
            return values;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    static int[] readInts(Path file) {
        try {
            ByteBuffer buffer = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
            int[] values = new int[buffer.remaining() / 4];
            buffer.asIntBuffer().get(values);
            return values;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }
}

package airbench.train.cli;

import airbench.data.DatasetChoice;
import airbench.eval.Evaluator;
import airbench.model.CpuFeatures;
import airbench.model.ExecutionPlan;
import airbench.model.NetworkSpec;
import airbench.model.Precision;
import airbench.tools.Bench;
import airbench.tools.MachinePeak;
import airbench.tools.PythonScript;
import airbench.tools.StepProfile;
import airbench.tools.StepTiming;
import airbench.tools.TimingReport;
import airbench.train.run.UsageException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

/**
 * The timing commands, {@code step-timing} ({@link StepTiming}: eager, graph and XLA forward pass and training step
 * on one synthetic batch), {@code bench} ({@link Bench}: every configuration this CPU runs natively, and
 * PyTorch) and {@code profile} ({@link StepProfile}: one training step op by op against the machine's measured
 * peak): their options, read into the measurement's settings; the table on standard output (the profile's through
 * the log, which the trainer writes there), then the JSON report ({@code --output}) and its name. A report that
 * cannot be written fails (exit code 1) after the table, so that a measurement is not lost.
 */
final class TimingCommands {
    static final String STEP_TIMING = "step-timing";
    static final String BENCH = "bench";
    static final String PROFILE = "profile";

    static final Command STEP_TIMING_COMMAND = Command.named(STEP_TIMING)
            .summary("times the forward pass and training step eagerly, as a plain graph and with XLA")
            .description("Times eager forward, graph forward and training step, XLA forward and training step on one"
                    + " synthetic batch. Options:")
            .footer(StepTiming.NOTE_EAGER)
            .options(TimingCommands::stepTimingOptions)
            .body(TimingCommands::stepTiming);

    static final Command BENCH_COMMAND = Command.named(BENCH)
            .summary("the speed benchmark: every configuration this CPU runs natively, against PyTorch")
            .description("Times this project's training step and forward pass in every configuration this CPU runs"
                    + " natively, and the same step in PyTorch (contiguous and channels-last, float32 and, with native"
                    + " bf16, bf16 autocast), in one invocation; the headline is against PyTorch's fastest row."
                    + " Options:")
            .footer("PyTorch: " + PythonScript.INSTALL_HINT + ". Without it the PyTorch column says 'not installed'.")
            .options(TimingCommands::benchOptions)
            .body(TimingCommands::bench);

    static final Command PROFILE_COMMAND = Command.named(PROFILE)
            .summary("profiles one training step op by op against the machine's measured peak")
            .description("Traces training steps on one synthetic batch and sums TensorFlow's step statistics per op"
                    + " type and per layer, with the FLOPs and GFLOP/s of each convolution (forward, input and"
                    + " filter gradient) and the share of memory-bound ops, against a float32 and a bf16 matrix"
                    + " product measured in the same invocation. Options:")
            .footer("How to read it: docs/speed.md.")
            .options(TimingCommands::profileOptions)
            .body(TimingCommands::profile);

    private TimingCommands() {}

    /** The options of step-timing and bench: network, batch, threads, repetitions, warm-up. */
    private static Options networkAndTimingOptions(int defaultWarmup) {
        Options options = networkOptions();
        options.addOption(Option.builder().longOpt("repetitions").hasArg().argName("N")
                .desc("timed calls per configuration [default: 5]").get());
        options.addOption(Option.builder().longOpt("warmup").hasArg().argName("W")
                .desc("untimed calls per configuration after the first [default: " + defaultWarmup + "]").get());
        return options;
    }

    /** The options of every timing command: network, batch, threads. */
    private static Options networkOptions() {
        Options options = new Options();
        options.addOption(Option.builder().longOpt("recipe-network").hasArg().argName("NAME")
                .desc("network of a published recipe: " + String.join(", ", NetworkSpec.presetNames())
                        + " [default: 94]").get());
        options.addOption(Option.builder().longOpt("widths").hasArg().argName("A,B,C")
                .desc("override the network's block widths (small values for a quick check)").get());
        options.addOption(Option.builder().longOpt("batch-size").hasArg().argName("N")
                .desc("images per forward pass and per training step [default: 1024]").get());
        options.addOption(Option.builder().longOpt("threads").hasArg().argName("N")
                .desc("intra-op threads (inter-op 1) [default: number of cores]").get());
        return options;
    }

    static Options profileOptions() {
        Options options = networkOptions();
        options.addOption(Option.builder().longOpt("precision").hasArg().argName("P")
                .desc("convolution precision: auto, fp32 or bf16 [default: auto, as the trainer]").get());
        options.addOption(Option.builder().longOpt("compile").hasArg().argName("MODE")
                .desc("graph execution: auto, none or xla [default: auto, as the trainer]").get());
        options.addOption(Option.builder().longOpt("frozen-whitening")
                .desc("profile the step with the whitening bias frozen (airbench94's later epochs)").get());
        options.addOption(Option.builder().longOpt("evaluation")
                .desc("profile the evaluation pass (inference logits of one evaluation batch, every epoch end and"
                        + " the TTA) instead of a training step; --batch-size then defaults to "
                        + Evaluator.DEFAULT_BATCH).get());
        options.addOption(Option.builder().longOpt("warmup").hasArg().argName("W")
                .desc("untraced steps first, the first compiling [default: " + StepProfile.Settings.DEFAULT_WARMUP
                        + "]").get());
        options.addOption(Option.builder().longOpt("steps").hasArg().argName("N")
                .desc("untraced timed steps, then traced steps averaged [default: "
                        + StepProfile.Settings.DEFAULT_STEPS + "]").get());
        options.addOption(Option.builder().longOpt("peak-size").hasArg().argName("N")
                .desc("n of the n x n matrix products of the peak [default: " + MachinePeak.DEFAULT_SIZE + "]").get());
        options.addOption(Option.builder().longOpt("peak-repetitions").hasArg().argName("N")
                .desc("timed products per precision [default: " + StepProfile.Settings.DEFAULT_PEAK_REPETITIONS
                        + "]").get());
        options.addOption(Option.builder().longOpt("output").hasArg().argName("FILE")
                .desc("JSON report [default: profile.json]").get());
        return options;
    }

    static Options stepTimingOptions() {
        Options options = networkAndTimingOptions(StepTiming.DEFAULT_WARMUP);
        options.addOption(Option.builder().longOpt("dataset").hasArg().argName("NAME")
                .desc("cifar10 or cifar100: the head's class count (10 or 100) [default: cifar10]").get());
        options.addOption(Option.builder().longOpt("labels").hasArg().argName("SET")
                .desc("with --dataset cifar100: fine (100 classes) or coarse (20) [default: fine]").get());
        options.addOption(Option.builder().longOpt("precision").hasArg().argName("P")
                .desc("convolution precision: fp32 or bf16 [default: fp32]").get());
        options.addOption(Option.builder().longOpt("no-eager").desc("skip the eager forward pass").get());
        options.addOption(Option.builder().longOpt("output").hasArg().argName("FILE")
                .desc("JSON report [default: step-timing.json]").get());
        return options;
    }

    private static Options benchOptions() {
        Options options = networkAndTimingOptions(Bench.DEFAULT_WARMUP);
        options.addOption(Option.builder().longOpt("no-onednn-off")
                .desc("skip the TensorFlow fp32 measurement with oneDNN off (a second JVM)").get());
        options.addOption(Option.builder().longOpt("no-pytorch").desc("skip PyTorch").get());
        options.addOption(Option.builder().longOpt("python").hasArg().argName("PATH")
                .desc("Python interpreter with PyTorch [default: python3, then /usr/bin/python3]").get());
        options.addOption(Option.builder().longOpt("output").hasArg().argName("FILE")
                .desc("JSON report [default: bench.json]").get());
        return options;
    }

    private static int stepTiming(Command.Call call) {
        StepTiming.Settings settings = stepTimingSettings(call.line());
        Path output = Path.of(call.value("output", "step-timing.json"));
        StepTiming.Report report = StepTiming.measure(settings);
        call.out().print(StepTiming.table(report));
        TimingReport.write(output, StepTiming.json(report));
        call.out().println("JSON written to " + output);
        return 0;
    }

    private static int bench(Command.Call call) {
        CommandLine line = call.line();
        StepTiming.Settings shared = stepTimingSettings(line, Bench.DEFAULT_WARMUP);
        List<String> pythons = line.hasOption("python") ? List.of(line.getOptionValue("python"))
                : PythonScript.DEFAULT_PYTHONS;
        // The second JVM (oneDNN off) runs this program's step-timing command.
        Bench.Settings settings = new Bench.Settings(shared.network(), shared.spec(), shared.batchSize(),
                shared.threads(), shared.repetitions(), shared.warmup(), !line.hasOption("no-onednn-off"),
                !line.hasOption("no-pytorch"), pythons, List.of(Main.class.getName(), STEP_TIMING));
        Path output = Path.of(call.value("output", "bench.json"));
        Bench.Report report = Bench.measure(settings);
        call.out().print(Bench.table(report));
        TimingReport.write(output, Bench.json(report));
        call.out().println("JSON written to " + output);
        return 0;
    }

    private static int profile(Command.Call call) {
        StepProfile.Settings settings = profileSettings(call.line());
        Path output = Path.of(call.value("output", "profile.json"));
        StepProfile.Report report = StepProfile.measure(settings);
        StepProfile.log(report);
        TimingReport.write(output, StepProfile.json(report));
        call.out().println("JSON written to " + output);
        return 0;
    }

    /**
     * The profile command's settings; auto precision and compilation resolve as the trainer's do on this CPU.
     *
     * @throws UsageException naming a bad value
     */
    static StepProfile.Settings profileSettings(CommandLine line) {
        Network network = network(line);
        ExecutionPlan plan;
        try {
            plan = ExecutionPlan.resolve(line.getOptionValue("precision", ExecutionPlan.AUTO),
                    line.getOptionValue("compile", ExecutionPlan.AUTO), CpuFeatures.detect());
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        if (line.hasOption("evaluation") && line.hasOption("frozen-whitening")) {
            throw new UsageException("--evaluation and --frozen-whitening exclude each other: the evaluation pass"
                    + " trains nothing; give one of them");
        }
        StepProfile.ProfiledRun run = line.hasOption("evaluation") ? StepProfile.ProfiledRun.EVALUATION
                : line.hasOption("frozen-whitening") ? StepProfile.ProfiledRun.FROZEN_WHITENING_STEP
                : StepProfile.ProfiledRun.TRAIN_STEP;
        StepProfile.Settings defaults = StepProfile.Settings.of(network.name(), network.spec(), plan.precision(),
                plan.compilation());
        int batch = run == StepProfile.ProfiledRun.EVALUATION ? Evaluator.DEFAULT_BATCH : defaults.batchSize();
        return defaults.withBatchSize(Command.wholeNumber(line, "batch-size", batch, 1))
                .withThreads(Command.wholeNumber(line, "threads", defaults.threads(), 1))
                .withSteps(Command.wholeNumber(line, "warmup", defaults.warmup(), 0),
                        Command.wholeNumber(line, "steps", defaults.steps(), 1))
                .withPeak(Command.wholeNumber(line, "peak-size", defaults.peakSize(), 1),
                        Command.wholeNumber(line, "peak-repetitions", defaults.peakRepetitions(), 1))
                .withRun(run);
    }

    /** A recipe's network by name, with the widths of {@code --widths} if given. */
    private record Network(String name, NetworkSpec spec) {}

    /** @throws UsageException for an argument, an unknown network or bad widths */
    private static Network network(CommandLine line) {
        if (!line.getArgList().isEmpty()) {
            throw new UsageException("unexpected argument '" + line.getArgList().get(0) + "'");
        }
        String name = line.getOptionValue("recipe-network", "94");
        NetworkSpec spec = NetworkSpec.preset(name).orElseThrow(() -> new UsageException(
                "unknown --recipe-network '" + name + "'; valid: " + String.join(", ", NetworkSpec.presetNames())));
        if (line.hasOption("widths")) {
            spec = spec.withWidths(widths(line.getOptionValue("widths")));
        }
        return new Network(name, spec);
    }

    /** The step-timing command's settings. */
    static StepTiming.Settings stepTimingSettings(CommandLine line) {
        return stepTimingSettings(line, StepTiming.DEFAULT_WARMUP);
    }

    /**
     * The settings of a command line holding {@link #networkAndTimingOptions} (and, for step-timing, its own
     * options; absent ones take their defaults), with {@code defaultWarmup} warm-up calls.
     *
     * @throws UsageException naming a bad value
     */
    private static StepTiming.Settings stepTimingSettings(CommandLine line, int defaultWarmup) {
        Network chosen = network(line);
        String network = chosen.name();
        NetworkSpec spec = chosen.spec();
        // Options of step-timing only (bench has no --dataset): absent, they read as null.
        DatasetChoice dataset;
        try {
            dataset = DatasetChoice.parse(line.getOptionValue("dataset"), line.getOptionValue("labels"));
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        spec = spec.withNumClasses(dataset.numClasses());
        int batch = Command.wholeNumber(line, "batch-size", 1024, 1);
        String precisionText = line.getOptionValue("precision", "fp32");
        Precision precision = Arrays.stream(Precision.values())
                .filter(p -> p.name().equalsIgnoreCase(precisionText)).findFirst()
                .orElseThrow(() -> new UsageException("bad value '" + precisionText
                        + "' for --precision; valid values: fp32, bf16"));
        int threads = Command.wholeNumber(line, "threads", Runtime.getRuntime().availableProcessors(), 1);
        int repetitions = Command.wholeNumber(line, "repetitions", 5, 1);
        int warmup = Command.wholeNumber(line, "warmup", defaultWarmup, 0);
        return new StepTiming.Settings(network, spec, batch, precision, threads, repetitions, warmup,
                !line.hasOption("no-eager"), dataset);
    }

    private static List<Integer> widths(String text) {
        try {
            List<Integer> widths = Arrays.stream(text.split(",")).map(String::trim).map(Integer::parseInt).toList();
            if (widths.size() == 3 && widths.stream().allMatch(w -> w > 0)) {
                return widths;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new UsageException("bad value '" + text + "' for --widths; expected three positive numbers like"
                + " 64,256,256");
    }
}

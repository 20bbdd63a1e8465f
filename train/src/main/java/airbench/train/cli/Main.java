package airbench.train.cli;

import airbench.train.Recipe;
import airbench.train.TrainingDivergedException;
import airbench.train.run.RunFolder;
import airbench.train.run.TrainOptionTable;
import airbench.train.run.TrainOptions;
import airbench.train.run.UsageException;
import airbench.data.CifarData;
import airbench.data.CifarDataset;
import airbench.data.DataException;
import airbench.data.DataLocator;
import airbench.eval.EvalCommands;
import airbench.model.TensorFlowRuntime;
import airbench.tools.Bench;
import airbench.tools.StepTiming;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The trainer's entry point: {@code mvn exec:java -Dtrain.recipe=95} or
 * {@code java -jar train/target/airbench-train.jar --recipe 95}; with a first argument
 * {@code evaluate} or {@code predict} (or {@code -Deval.command=...}), the commands on an exported model
 * ({@link EvalCommands}); with {@code export-images}, test images as PNG files ({@link ImageExportCommand});
 * with {@code step-timing}, the eager / graph / XLA timing tool ({@link StepTiming}); with {@code bench}, the
 * speed benchmark against PyTorch ({@link Bench}); with {@code parity}, the step-by-step comparison with PyTorch
 * ({@link ParityCommand}); with {@code plot}, PNG charts of finished runs ({@link PlotCommand}); with
 * {@code select}, the data-selection experiment written on the library's public API ({@link SelectCommand}); with
 * {@code sweep}, many trainings over a grid of options on Spark or in shards ({@link SweepCommand}); with
 * {@code merge}, the shards of a sweep joined ({@link MergeCommand}).
 * {@code --onednn on|off} applies to every command.
 * Exit codes: 0 done, 1 failed (data, divergence, I/O), 2 bad command line.
 */
public final class Main {
    private static final Logger LOG = LogManager.getLogger(Main.class);
    /** Set by the Maven build: folders to look in for the data before downloading (the shared copy). */
    static final String FALLBACK_PROPERTY = DataLocator.FALLBACK_PROPERTY;

    /** First arguments that hand the command line to the exported-model commands. */
    private static final Set<String> EVAL_COMMANDS = Set.of("evaluate", "predict");
    /** First argument that hands the command line to the compiled-versus-uncompiled timing tool. */
    static final String STEP_TIMING_COMMAND = "step-timing";
    /** {@code mvn exec:java -Deval.command=evaluate -Deval.model=DIR}: the same without arguments. */
    static final String EVAL_COMMAND_PROPERTY = "eval.command";

    private Main() {}

    public static void main(String[] args) {
        int code = run(args);
        if (code != 0) {
            System.exit(code);
        }
    }

    /** Runs the command and returns its exit code instead of exiting (for tests). */
    public static int run(String[] args) {
        // Before --onednn is taken out below: for a sweep it is an option of every run, not of this process.
        if (args.length > 0 && args[0].equals(SweepCommand.NAME)) {
            return SweepCommand.run(java.util.Arrays.copyOfRange(args, 1, args.length));
        }
        if (args.length > 0 && args[0].equals(MergeCommand.NAME)) {
            return MergeCommand.run(java.util.Arrays.copyOfRange(args, 1, args.length));
        }
        if (args.length > 0 && !args[0].startsWith("-")) {
            // A subcommand: --onednn applies to every command, so it is taken here, before
            // anything loads TensorFlow, and the subcommand's own parser never sees it.
            List<String> rest = new ArrayList<>(List.of(args));
            String oneDnn;
            try {
                oneDnn = takeOption(rest, "--onednn");
                TensorFlowRuntime.configure(TrainOptions.oneDnn(oneDnn));
            } catch (UsageException e) {
                System.err.println("error: " + e.getMessage());
                return 2;
            }
            args = rest.toArray(String[]::new);
        }
        if (args.length > 0 && args[0].equals(STEP_TIMING_COMMAND)) {
            return StepTiming.run(java.util.Arrays.copyOfRange(args, 1, args.length), System.out, System.err);
        }
        if (args.length > 0 && args[0].equals(Bench.NAME)) {
            return Bench.run(java.util.Arrays.copyOfRange(args, 1, args.length), System.out, System.err);
        }
        if (args.length > 0 && args[0].equals(ParityCommand.NAME)) {
            return ParityCommand.run(java.util.Arrays.copyOfRange(args, 1, args.length), System.out);
        }
        if (args.length > 0 && args[0].equals(ImageExportCommand.NAME)) {
            return ImageExportCommand.run(java.util.Arrays.copyOfRange(args, 1, args.length));
        }
        if (args.length > 0 && args[0].equals(SelectCommand.NAME)) {
            return SelectCommand.run(java.util.Arrays.copyOfRange(args, 1, args.length));
        }
        if (args.length > 0 && args[0].equals(PlotCommand.NAME)) {
            return PlotCommand.run(java.util.Arrays.copyOfRange(args, 1, args.length));
        }
        if (args.length > 0 && EVAL_COMMANDS.contains(args[0])) {
            return EvalCommands.run(args, System.getProperties());
        }
        String evalCommand = System.getProperty(EVAL_COMMAND_PROPERTY);
        if (evalCommand != null && !evalCommand.isBlank()) {
            String[] withCommand = new String[args.length + 1];
            withCommand[0] = evalCommand.trim();
            System.arraycopy(args, 0, withCommand, 1, args.length);
            return EvalCommands.run(withCommand, System.getProperties());
        }
        Map<String, String> raw;
        TrainOptions options;
        try {
            raw = TrainOptionTable.parse(args, System.getProperties());
            if (raw.containsKey("help")) {
                System.out.println(TrainOptionTable.help());
                return 0;
            }
            if (raw.containsKey("list-recipes")) {
                Recipe.presets().forEach(r -> System.out.println(r.describe() + System.lineSeparator()));
                return 0;
            }
            if (raw.containsKey("resume")) {
                raw = RunFolder.resumedOptions(Path.of(raw.get("resume")), raw);
            }
            options = TrainOptions.resolve(raw);
            TensorFlowRuntime.configure(options.oneDnn());
        } catch (UsageException e) {
            System.err.println("error: " + e.getMessage());
            return 2;
        }
        try {
            LOG.info("configuration:{}{}", System.lineSeparator(), options.describe());
            TensorFlowRuntime.status();  // logs, once, oneDNN as it runs and the CPU's deciding flags
            CifarData data = options.loadData();
            CifarDataset train = options.trainSubset() > 0
                    ? data.train().first(Math.min(options.trainSubset(), data.train().size())) : data.train();
            if (raw.containsKey("dry-run")) {
                options.recipe().checkTrainable(train);
                LOG.info("dry run: configuration and data are valid; not training");
                return 0;
            }
            Path dir = options.resume().isPresent() ? options.resume().get()
                    : RunFolder.create(options.output(), options.recipe(), options.dataset(), options.pinnedRaw());
            LOG.info("results go to {}", dir);
            RunFolder.run(dir, options, train, data.test());
            return 0;
        } catch (DataException | TrainingDivergedException | IllegalStateException | IllegalArgumentException e) {
            // IllegalArgumentException: a training set the recipe cannot train on (fewer images than one batch).
            LOG.error("error: {}", e.getMessage());
            return 1;
        } catch (java.io.IOException | java.io.UncheckedIOException e) {
            LOG.error("error: {}", e.getMessage());
            return 1;
        }
    }

    /**
     * Removes {@code name VALUE} or {@code name=VALUE} from {@code args} and returns the value (null
     * when absent).
     *
     * @throws UsageException when the option has no value
     */
    static String takeOption(List<String> args, String name) {
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (arg.startsWith(name + "=")) {
                args.remove(i);
                return arg.substring(name.length() + 1);
            }
            if (arg.equals(name)) {
                if (i + 1 >= args.size()) {
                    throw new UsageException(name + " needs a value: on or off");
                }
                args.remove(i);
                return args.remove(i);
            }
        }
        return null;
    }
}

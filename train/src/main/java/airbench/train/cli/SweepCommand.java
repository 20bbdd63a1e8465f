package airbench.train.cli;

import airbench.train.StopSignal;
import airbench.train.run.TrainOptionTable;
import airbench.train.run.TrainOptions;
import airbench.train.run.UsageException;
import airbench.train.sweep.Axis;
import airbench.train.sweep.Cell;
import airbench.train.sweep.RunEngine;
import airbench.train.sweep.Sweep;
import airbench.train.sweep.SweepPlan;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * {@code sweep}: many trainings as one command, every cell of a grid of training options times every seed, each
 * run written as the {@code train} command writes its {@code result.json}, and a per-cell summary. The runs go to
 * Spark ({@link SparkEngine}: embedded {@code local[K]} by default, a cluster with {@code --master} or
 * {@code spark-submit}), or with {@code --shard i/N} one slice of them runs here without Spark (array jobs);
 * {@link MergeCommand} then joins the slices. Running the same sweep into the same {@code --output} again trains
 * only the runs without a result.
 *
 * <p>SIGTERM or SIGINT ends the runs under way after their current step, each keeping its checkpoint (in its run
 * folder's {@code unfinished/}), and starts no more; the same command again continues them, as it does the runs of
 * a task that was killed (every run checkpoints at each epoch end and every {@code --checkpoint-every} steps).
 *
 * <p>Exit codes: 0 every run of this command finished, 1 some failed (the others are kept) or the folder could not
 * be written, 2 bad command line, 143 or 130 stopped by SIGTERM or SIGINT.
 */
public final class SweepCommand {
    private static final Logger LOG = LogManager.getLogger(SweepCommand.class);
    public static final String NAME = "sweep";
    private static final Pattern SHARD = Pattern.compile("(\\d+)/(\\d+)");

    static final Command COMMAND = command(null);

    /** The command, its runs going to {@code engine} if not null (else to the engine its command line chooses). */
    private static Command command(RunEngine engine) {
        return Command.named(NAME)
                .summary("trains a grid of training options times seeds, on Spark or in shards, and summarizes each cell")
                .usage(NAME + " [training options] --grid NAME=V1,V2,... [--grid ...] [--seeds 0-4] [--output DIR]")
                .description("Trains every combination of the grid values (a cell) with every seed, each run written as"
                        + " <output>/<cell>/seed-N/result.json exactly as the train command writes it, and summarizes"
                        + " each cell (mean, sd, 95% CI). Runs go to Spark (embedded local[K] unless --master or"
                        + " spark-submit say otherwise); with --shard I/N one slice runs here without Spark."
                        + " Running it again into the same --output trains only the runs without a result. Options:")
                .footer("Example: " + NAME + " --recipe 94 --epochs 2 --grid flip=alternating,random,none --seeds 0-4"
                        + " --output sweeps/flip")
                .options(SweepCommand::options)
                .check(SweepCommand::refuseTrainOnlyOptions)  // before the parser, which would only call them unknown
                .body(call -> {
                    Sweep.Request request = request(call.line(), call.args().toArray(String[]::new));
                    StopSignal stop = new StopSignal();
                    try (SignalStop signals = SignalStop.install(stop)) {
                        int status = Sweep.run(request, engine, stop);
                        return signals.exitStatus() != 0 ? signals.exitStatus() : status;
                    }
                });
    }

    private SweepCommand() {}

    /** The sweep's own options; the training options are added from the {@code train} command's. */
    private static Options options() {
        Options options = new Options();
        options.addOption(Option.builder().longOpt("grid").hasArg().argName("NAME=V1,V2,...")
                .desc("a training option with several values; repeat for more (values holding commas, like widths,"
                        + " are separated by ';')").get());
        options.addOption(Option.builder().longOpt("plan").hasArg().argName("FILE")
                .desc("a JSON plan file: {\"options\": {...}, \"grid\": {\"NAME\": [values]}, \"seeds\": \"0-9\"};"
                        + " command-line options add to it").get());
        options.addOption(Option.builder().longOpt("seeds").hasArg().argName("LIST")
                .desc("seeds of every cell: 0-4, 1,5,9 or 0-9,20 [default: 0]").get());
        options.addOption(Option.builder().longOpt("output").hasArg().argName("DIR")
                .desc("the sweep's folder; the same folder again continues the sweep [default: sweeps/<recipe>-<date>-<time>]")
                .get());
        options.addOption(Option.builder().longOpt("threads").hasArg().argName("N")
                .desc("TensorFlow threads of each run (Spark's spark.task.cpus) [default: 2 locally, at most the"
                        + " cores; spark.task.cpus on a cluster]").get());
        options.addOption(Option.builder().longOpt("master").hasArg().argName("URL")
                .desc("Spark master: local[K], spark://HOST:PORT, yarn, k8s://... [default: local[K], K = the cores"
                        + " in slots of --threads; or spark-submit's]").get());
        options.addOption(Option.builder().longOpt("spark-conf").hasArg().argName("KEY=VALUE")
                .desc("a Spark setting (e.g. spark.executor.memory=8g); repeat for more").get());
        options.addOption(Option.builder().longOpt("shard").hasArg().argName("I/N")
                .desc("run only slice I of N (I from 0) here, without Spark, into --output; merge joins the slices")
                .get());
        for (TrainOptionTable.Def def : TrainOptionTable.DEFS) {
            if (SweepPlan.trainingOptions().contains(def.name())) {
                Option.Builder builder = Option.builder().longOpt(def.name())
                        .desc("training option of every run: " + def.description());
                if (def.valueName() != null) {
                    builder.hasArg().argName(def.valueName());
                }
                options.addOption(builder.get());
            }
        }
        return options;
    }

    /** Runs the command with this process's properties and streams; exit code as in the class comment. */
    public static int run(String[] args) {
        return COMMAND.run(args);
    }

    /**
     * {@link #run(String[])} with the runs going to {@code engine} when it is not null instead of the engine the
     * command line chooses (tests: one Spark cluster for several sweeps).
     */
    public static int run(String[] args, RunEngine engine) {
        return command(engine).run(args);
    }

    /** Options of the train command that a sweep does not take, refused with what to give instead. */
    private static void refuseTrainOnlyOptions(String[] args, java.util.Properties properties) {
        for (String key : properties.stringPropertyNames()) {
            if (key.startsWith("train.")) {
                throw new UsageException("-D" + key + " is a property of the train command; give a sweep's options as"
                        + " flags, e.g. mvn exec:java -Dexec.args=\"sweep --recipe 95 ...\"");
            }
        }
        Options sweep = options();
        for (String arg : args) {
            if (arg.startsWith("--")) {
                String name = arg.substring(2).split("=", 2)[0];
                boolean trainOption = TrainOptionTable.DEFS.stream().anyMatch(d -> d.name().equals(name));
                if (trainOption && !sweep.hasLongOption(name) && !name.equals("help")) {  // --help: every command's
                    SweepPlan.requireTrainingOption(name, false);
                }
            }
        }
    }

    static Sweep.Request request(CommandLine line, String[] args) {
        if (!line.getArgList().isEmpty()) {
            throw new UsageException("unexpected argument '" + line.getArgList().get(0)
                    + "'; options take the form --name value (see " + NAME + " --help)");
        }
        SweepPlan fromFile = line.hasOption("plan") ? SweepPlan.readFile(Path.of(line.getOptionValue("plan")))
                : new SweepPlan(Map.of(), List.of(), List.of(0L));
        Map<String, String> options = new LinkedHashMap<>(fromFile.options());
        for (String name : SweepPlan.trainingOptions()) {
            if (line.hasOption(name)) {
                boolean isSwitch = TrainOptionTable.DEFS.stream()
                        .anyMatch(d -> d.name().equals(name) && d.valueName() == null);
                options.put(name, isSwitch ? "true" : line.getOptionValue(name));
            }
        }
        List<Axis> grid = new ArrayList<>(fromFile.grid());
        for (String text : Optional.ofNullable(line.getOptionValues("grid")).orElse(new String[0])) {
            grid.add(SweepPlan.parseGrid(text));
        }
        List<Long> seeds = line.hasOption("seeds") ? SweepPlan.parseSeeds(line.getOptionValue("seeds"))
                : fromFile.seeds();
        SweepPlan plan = absoluteDataDirs(new SweepPlan(options, grid, seeds));
        Optional<Integer> threads = line.hasOption("threads")
                ? Optional.of(Command.wholeNumber(line, "threads", 0, 1)) : Optional.empty();
        Map<String, String> conf = new LinkedHashMap<>();
        for (String entry : Optional.ofNullable(line.getOptionValues("spark-conf")).orElse(new String[0])) {
            int eq = entry.indexOf('=');
            if (eq <= 0) {
                throw new UsageException("bad --spark-conf '" + entry + "'; expected KEY=VALUE, e.g."
                        + " spark.executor.memory=8g");
            }
            conf.put(entry.substring(0, eq).trim(), entry.substring(eq + 1).trim());
        }
        Optional<int[]> shard = Optional.ofNullable(line.getOptionValue("shard")).map(SweepCommand::shard);
        if (shard.isPresent() && (line.hasOption("master") || !conf.isEmpty())) {
            throw new UsageException("--shard runs here without Spark; --master and --spark-conf do not apply");
        }
        if (shard.isPresent() && !line.hasOption("output")) {
            throw new UsageException("--shard needs --output: each slice writes into a folder that merge then reads");
        }
        Path output = line.hasOption("output") ? Path.of(line.getOptionValue("output"))
                : Path.of("sweeps", plan.options().getOrDefault("recipe", "94") + "-"
                        + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss", Locale.ROOT)));
        validate(plan);
        return new Sweep.Request(plan, output, threads, Optional.ofNullable(line.getOptionValue("master")), conf, shard,
                List.of(args));
    }

    /** {@code I/N} with 0 <= I < N. */
    static int[] shard(String text) {
        Matcher m = SHARD.matcher(text.trim());
        if (m.matches()) {
            int i = Integer.parseInt(m.group(1));
            int n = Integer.parseInt(m.group(2));
            if (n >= 1 && i < n) {
                return new int[] {i, n};
            }
        }
        throw new UsageException("bad --shard '" + text + "'; expected I/N with I from 0 to N-1, e.g. --shard 0/4"
                + " (Slurm: --shard $SLURM_ARRAY_TASK_ID/4 with --array=0-3)");
    }

    /**
     * Data folders as absolute paths: Spark executors do not share the driver's working folder (on a cluster the
     * path must exist on every machine).
     */
    private static SweepPlan absoluteDataDirs(SweepPlan plan) {
        Map<String, String> options = new LinkedHashMap<>(plan.options());
        options.computeIfPresent("data-dir", (k, v) -> absolute(v));
        List<Axis> grid = plan.grid().stream().map(a -> a.name().equals("data-dir")
                ? new Axis(a.name(), a.values().stream().map(SweepCommand::absolute).toList()) : a).toList();
        return new SweepPlan(options, grid, plan.seeds());
    }

    private static String absolute(String path) {
        return Path.of(path).toAbsolutePath().normalize().toString();
    }

    /** Every cell's options as the trainer will take them, so that a bad value stops the sweep before any run. */
    private static void validate(SweepPlan plan) {
        for (Cell cell : plan.cells()) {
            Map<String, String> options = new LinkedHashMap<>(plan.runOptions(cell));
            options.put("seed", String.valueOf(plan.seeds().get(0)));
            try {
                TrainOptions.resolve(options);
            } catch (UsageException e) {
                throw new UsageException((plan.grid().isEmpty() ? "" : "cell " + cell.name() + ": ") + e.getMessage());
            }
        }
    }

}

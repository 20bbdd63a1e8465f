package airbench.train.sweep;

import airbench.train.CommandLineOptions;
import airbench.train.Subcommand;
import airbench.train.TrainOptions;
import airbench.train.UsageException;
import java.io.IOException;
import java.io.UncheckedIOException;
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
 * <p>Exit codes: 0 every run of this command finished, 1 some failed (the others are kept) or the folder could not
 * be written, 2 bad command line.
 */
public final class SweepCommand {
    private static final Logger LOG = LogManager.getLogger(SweepCommand.class);
    public static final String NAME = "sweep";
    private static final Pattern SHARD = Pattern.compile("(\\d+)/(\\d+)");

    private static final Subcommand COMMAND = new Subcommand(NAME,
            NAME + " [training options] --grid NAME=V1,V2,... [--grid ...] [--seeds 0-4] [--output DIR]",
            "Trains every combination of the grid values (a cell) with every seed, each run written as"
                    + " <output>/<cell>/seed-N/result.json exactly as the train command writes it, and summarizes"
                    + " each cell (mean, sd, 95% CI). Runs go to Spark (embedded local[K] unless --master or"
                    + " spark-submit say otherwise); with --shard I/N one slice runs here without Spark."
                    + " Running it again into the same --output trains only the runs without a result. Options:",
            "Example: " + NAME + " --recipe 94 --epochs 2 --grid flip=alternating,random,none --seeds 0-4"
                    + " --output sweeps/flip");
    /** Said when a sweep stops early. */
    private static final String FINISHED_RUNS_KEPT = "the finished runs are kept, run the same command to continue";

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
        for (CommandLineOptions.Def def : CommandLineOptions.DEFS) {
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

    /** Runs the command; exit code as in the class comment. */
    public static int run(String[] args) {
        return run(args, null);
    }

    /**
     * {@link #run(String[])} with the runs going to {@code engine} when it is not null instead of the engine the
     * command line chooses (tests: one Spark cluster for several sweeps).
     */
    static int run(String[] args, RunEngine engine) {
        try {
            refuseTrainOnlyOptions(args);  // before the parser, which would only call them unknown
        } catch (UsageException e) {
            return COMMAND.usageError(e.getMessage());
        }
        return COMMAND.run(options(), args, line -> execute(request(line, args), engine));
    }

    /** Options of the train command that a sweep does not take, refused with what to give instead. */
    private static void refuseTrainOnlyOptions(String[] args) {
        for (String key : System.getProperties().stringPropertyNames()) {
            if (key.startsWith("train.")) {
                throw new UsageException("-D" + key + " is a property of the train command; give a sweep's options as"
                        + " flags, e.g. mvn exec:java -Dexec.args=\"sweep --recipe 95 ...\"");
            }
        }
        Options sweep = options();
        for (String arg : args) {
            if (arg.startsWith("--")) {
                String name = arg.substring(2).split("=", 2)[0];
                boolean trainOption = CommandLineOptions.DEFS.stream().anyMatch(d -> d.name().equals(name));
                if (trainOption && !sweep.hasLongOption(name) && !name.equals("help")) {  // --help: every command's
                    SweepPlan.requireTrainingOption(name, false);
                }
            }
        }
    }

    /** A validated sweep command line. */
    record Request(SweepPlan plan, Path output, Optional<Integer> threads, Optional<String> master,
                   Map<String, String> sparkConf, Optional<int[]> shard, List<String> commandLine) {}

    static Request request(CommandLine line, String[] args) {
        if (!line.getArgList().isEmpty()) {
            throw new UsageException("unexpected argument '" + line.getArgList().get(0)
                    + "'; options take the form --name value (see " + NAME + " --help)");
        }
        SweepPlan fromFile = line.hasOption("plan") ? SweepPlan.readFile(Path.of(line.getOptionValue("plan")))
                : new SweepPlan(Map.of(), List.of(), List.of(0L));
        Map<String, String> options = new LinkedHashMap<>(fromFile.options());
        for (String name : SweepPlan.trainingOptions()) {
            if (line.hasOption(name)) {
                boolean isSwitch = CommandLineOptions.DEFS.stream()
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
                ? Optional.of(Subcommand.wholeNumber(line, "threads", 0, 1)) : Optional.empty();
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
        return new Request(plan, output, threads, Optional.ofNullable(line.getOptionValue("master")), conf, shard,
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

    /** {@link #executeRuns}, with an interruption or a failure of Spark's as a failure that keeps what finished. */
    private static int execute(Request request, RunEngine given) throws IOException {
        try {
            return executeRuns(request, given);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted; " + FINISHED_RUNS_KEPT, e);
        } catch (UsageException | IOException | UncheckedIOException | IllegalStateException e) {
            throw e;  // this program's own, reported as they are
        } catch (Exception e) {
            // Spark's own failures (no master at the URL, a refused configuration) arrive as its exceptions.
            throw new IllegalStateException(RunExecution.describe(e) + "; " + FINISHED_RUNS_KEPT, e);
        }
    }

    private static int executeRuns(Request request, RunEngine given) throws IOException, InterruptedException {
        SweepPlan plan = request.plan();
        List<RunSpec> all = plan.runs();
        List<RunSpec> mine = new ArrayList<>();
        for (int k = 0; k < all.size(); k++) {
            // Round-robin, so that every slice gets a share of every cell (cells can differ in length).
            if (request.shard().isEmpty() || k % request.shard().get()[1] == request.shard().get()[0]) {
                mine.add(all.get(k));
            }
        }
        String shardText = request.shard().map(s -> s[0] + "/" + s[1]).orElse(null);
        if (shardText == null && given == null && !sparkOnClasspath()) {
            throw new UsageException("Apache Spark is not on the classpath (the runnable jar leaves it out, so that a"
                    + " plain training does not carry it). Run the sweep with `mvn exec:java -Dexec.args=\"sweep ...\"`"
                    + " from the repository root (Maven adds Spark), through spark-submit on a cluster (see the"
                    + " README), or without Spark one slice at a time with --shard I/N and then merge");
        }
        Map<String, Object> how = new LinkedHashMap<>();
        how.put("shard", shardText);
        how.put("command_line", request.commandLine());
        SweepFolder folder = SweepFolder.open(request.output(), plan, how);
        LOG.info("sweep into {}: {}", folder.dir(), plan.describe());
        List<RunSpec> todo = new ArrayList<>();
        for (RunSpec run : mine) {
            if (!folder.finished(run)) {
                todo.add(run);
            }
        }
        LOG.info("{} run(s) {}, {} already finished, {} to train", mine.size(),
                shardText == null ? "in the sweep" : "in shard " + shardText, mine.size() - todo.size(), todo.size());
        List<RunOutcome> failed = new ArrayList<>();
        if (!todo.isEmpty()) {
            try (RunEngine engine = given != null ? given : engine(request, shardText, folder.dir())) {
                LOG.info("runs go to {}", engine.describe());
                int[] count = {0};
                engine.run(todo, outcome -> {
                    count[0]++;
                    try {
                        folder.record(outcome);
                        SweepSummary.write(folder, plan, false);
                    } catch (IOException e) {
                        throw new UncheckedIOException("could not write the result of " + outcome.spec() + " into "
                                + folder.runDir(outcome.spec()) + ": " + e.getMessage(), e);
                    }
                    if (!outcome.finished()) {
                        failed.add(outcome);
                    }
                    LOG.info(progressLine(count[0], todo.size(), outcome));
                });
            }
        }
        SweepSummary.Summary summary = SweepSummary.write(folder, plan, true);
        LOG.info("summary in {} ({}, {}, {}/): {}", folder.dir(), SweepSummary.CSV_FILE, SweepSummary.JSON_FILE,
                SweepSummary.PLOTS_FOLDER, SweepSummary.describe(summary));
        if (!failed.isEmpty()) {
            LOG.error("{} run(s) failed; each run folder's {} says why, and running the same command again retries"
                    + " them:", failed.size(), SweepFolder.FAILURE_FILE);
            failed.forEach(o -> LOG.error("  {}: {}", o.spec(), o.error()));
            return 1;
        }
        return 0;
    }

    private static String progressLine(int done, int total, RunOutcome o) {
        String where = String.format(Locale.ROOT, "executor %s on %s, pid %d, %d thread(s), %.0f s", o.where().executor(),
                o.where().host(), o.where().pid(), o.where().threads(), o.seconds());
        if (!o.finished()) {
            return String.format(Locale.ROOT, "[%d/%d] %s FAILED (%s): %s", done, total, o.spec(), where, o.error());
        }
        String accuracy;
        try {
            accuracy = String.format(Locale.ROOT, "%.4f",
                    airbench.train.Json.MAPPER.readTree(o.resultJson()).path("tta_accuracy").asDouble());
        } catch (IOException e) {
            accuracy = "?";
        }
        return String.format(Locale.ROOT, "[%d/%d] %s: accuracy %s (%s)", done, total, o.spec(), accuracy, where);
    }

    /** Whether Spark's classes can be loaded here; asked before {@link SparkEngine}, which needs them, is touched. */
    private static boolean sparkOnClasspath() {
        try {
            Class.forName("org.apache.spark.api.java.JavaSparkContext", false, SweepCommand.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    private static RunEngine engine(Request request, String shardText, Path output) {
        if (shardText != null) {
            int threads = request.threads().orElse(Runtime.getRuntime().availableProcessors());
            return new InProcessEngine(threads, "shard " + shardText);
        }
        return SparkEngine.start(request.master(), request.threads(), request.sparkConf(),
                "airbench sweep " + output.toAbsolutePath().normalize().getFileName());
    }
}

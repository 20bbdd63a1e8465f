package airbench.train.sweep;

import airbench.train.StopSignal;
import airbench.train.run.Json;
import airbench.train.run.UsageException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * A sweep of many trainings, the part the {@code sweep} and {@code merge} commands hand over once their command
 * lines are parsed: every run of a {@link SweepPlan} (or one shard of them) trained on an engine (Spark, or this
 * process for a shard) into a {@link SweepFolder}, the runs already finished skipped, and the summary written; and
 * the folders of a sharded sweep merged into one.
 */
public final class Sweep {
    private static final Logger LOG = LogManager.getLogger(Sweep.class);
    /** Said when a sweep stops early. */
    private static final String FINISHED_RUNS_KEPT = "the finished runs are kept, run the same command to continue";
    /** What two results of one run must agree on (times, machine and threads may differ). */
    private static final List<String> COMPUTED = List.of("seed", "steps", "tta_accuracy", "accuracy_by_tta_level");

    private Sweep() {}

    /** A validated sweep command line. */
    public record Request(SweepPlan plan, Path output, Optional<Integer> threads, Optional<String> master,
                   Map<String, String> sparkConf, Optional<int[]> shard, List<String> commandLine) {}

    /** {@link #run(Request, RunEngine, StopSignal)} that nothing stops. */
    public static int run(Request request, RunEngine given) throws IOException {
        return run(request, given, new StopSignal());
    }

    /**
     * Trains the sweep's runs not finished yet and writes the summary; returns 0 when every run of this command
     * finished, 1 when some failed. A {@code stop} request ends the runs under way after their current step, each
     * keeping its checkpoint for the next run of the sweep, and starts no more; the caller sees it in {@code stop}.
     * An interruption or a failure of Spark's is a failure that keeps what finished.
     */
    public static int run(Request request, RunEngine given, StopSignal stop) throws IOException {
        RunExecution.watchStop(stop);
        try {
            return executeRuns(request, given, stop);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted; " + FINISHED_RUNS_KEPT, e);
        } catch (UsageException | IOException | UncheckedIOException | IllegalStateException e) {
            throw e;  // this program's own, reported as they are
        } catch (Exception e) {
            // Spark's own failures (no master at the URL, a refused configuration) arrive as its exceptions.
            throw new IllegalStateException(RunExecution.describe(e) + "; " + FINISHED_RUNS_KEPT, e);
        } finally {
            RunExecution.endStopWatch();
        }
    }

    private static int executeRuns(Request request, RunEngine given, StopSignal stop)
            throws IOException, InterruptedException {
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
                    + " from the repository root (Maven adds Spark), through spark-submit on a cluster (see"
                    + " docs/sweeps.md), or without Spark one slice at a time with --shard I/N and then merge");
        }
        Map<String, Object> how = new LinkedHashMap<>();
        how.put("shard", shardText);
        how.put("command_line", request.commandLine());
        SweepFolder folder = SweepFolder.open(request.output(), plan, how);
        LOG.info("sweep into {}: {}", folder.dir(), plan.describe());
        List<RunSpec> todo = new ArrayList<>();
        int unfinished = 0;
        for (RunSpec run : mine) {
            if (!folder.finished(run)) {
                todo.add(run);
                unfinished += folder.unfinished(run) ? 1 : 0;
            }
        }
        LOG.info("{} run(s) {}, {} already finished, {} to train{}", mine.size(),
                shardText == null ? "in the sweep" : "in shard " + shardText, mine.size() - todo.size(), todo.size(),
                unfinished == 0 ? "" : " (" + unfinished + " of them continue from their checkpoints)");
        List<RunOutcome> failed = new ArrayList<>();
        List<RunOutcome> stopped = new ArrayList<>();
        if (!todo.isEmpty()) {
            try (RunEngine engine = given != null ? given : engine(request, shardText, folder.dir())) {
                LOG.info("runs go to {}", engine.describe());
                int[] count = {0};
                engine.run(todo, folder.dir(), outcome -> {
                    count[0]++;
                    try {
                        folder.record(outcome);
                        SweepSummary.write(folder, plan, false);
                    } catch (IOException e) {
                        throw new UncheckedIOException("could not write the result of " + outcome.spec() + " into "
                                + folder.runDir(outcome.spec()) + ": " + e.getMessage(), e);
                    }
                    if (outcome.stopped()) {
                        stopped.add(outcome);
                    } else if (!outcome.finished()) {
                        failed.add(outcome);
                    }
                    LOG.info(progressLine(count[0], todo.size(), outcome));
                });
            }
        }
        SweepSummary.Summary summary = SweepSummary.write(folder, plan, true);
        LOG.info("summary in {} ({}, {}, {}/): {}", folder.dir(), SweepSummary.CSV_FILE, SweepSummary.JSON_FILE,
                SweepSummary.PLOTS_FOLDER, SweepSummary.describe(summary));
        if (stop.requested()) {
            LOG.warn("sweep stopped ({}): {} run(s) stopped after a step, each keeping its checkpoint in"
                    + " <cell>/seed-N/{}/; {}", stop.reason().orElseThrow(), stopped.size(),
                    SweepFolder.UNFINISHED_FOLDER, FINISHED_RUNS_KEPT);
        }
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
        if (o.stopped()) {
            return String.format(Locale.ROOT, "[%d/%d] %s stopped (%s): %s", done, total, o.spec(), where, o.error());
        }
        if (!o.finished()) {
            return String.format(Locale.ROOT, "[%d/%d] %s FAILED (%s): %s", done, total, o.spec(), where, o.error());
        }
        String accuracy;
        String resumed = "";
        try {
            JsonNode result = Json.MAPPER.readTree(o.resultJson());
            accuracy = String.format(Locale.ROOT, "%.4f", result.path("tta_accuracy").asDouble());
            int times = result.path("resumed_times").asInt();
            resumed = times == 0 ? "" : ", continued from a checkpoint " + (times == 1 ? "once" : times + " times");
        } catch (IOException e) {
            accuracy = "?";
        }
        return String.format(Locale.ROOT, "[%d/%d] %s: accuracy %s%s (%s)", done, total, o.spec(), accuracy, resumed,
                where);
    }

    /** Whether Spark's classes can be loaded here; asked before {@link SparkEngine}, which needs them, is touched. */
    private static boolean sparkOnClasspath() {
        try {
            Class.forName("org.apache.spark.api.java.JavaSparkContext", false, Sweep.class.getClassLoader());
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

    /**
     * Joins the sweep folders {@code folders} (shards of one plan) into {@code output} and writes the summary of the
     * whole sweep there.
     */
    public static void merge(List<Path> folders, Path output) throws IOException {
        SweepSummary.Summary summary = mergeFolders(folders, output);
        LOG.info("merged {} folder(s) into {}: {}", folders.size(), output, SweepSummary.describe(summary));
    }

    private static SweepSummary.Summary mergeFolders(List<Path> folders, Path output) throws IOException {
        List<SweepFolder> sources = new ArrayList<>();
        SweepPlan plan = null;
        for (Path folder : folders) {
            SweepFolder source = SweepFolder.existing(folder);
            SweepPlan p = source.plan();
            if (plan != null && !plan.sameSweep(p)) {
                throw new UsageException(folder + " holds another sweep than " + folders.get(0) + ": "
                        + p.describe() + " vs " + plan.describe());
            }
            plan = p;
            sources.add(source);
        }
        Map<String, Object> how = new LinkedHashMap<>();
        how.put("shard", null);
        how.put("merged_from", folders.stream().map(f -> f.toAbsolutePath().normalize().toString()).toList());
        if (Files.isDirectory(output) && Files.exists(output.resolve(SweepFolder.PLAN_FILE))
                && !SweepFolder.existing(output).plan().sameSweep(plan)) {
            throw new UsageException(output + " holds another sweep; choose a new --output folder");
        }
        SweepFolder target = SweepFolder.open(output, plan, how);
        for (SweepFolder source : sources) {
            if (Files.isSameFile(source.dir(), target.dir())) {
                continue;
            }
            for (RunSpec run : plan.runs()) {
                copyRun(source, target, run);
            }
        }
        return SweepSummary.write(target, plan, true);
    }

    /** Copies a run's files unless the target already has them; a result wins over a failure. */
    private static void copyRun(SweepFolder source, SweepFolder target, RunSpec run) throws IOException {
        Path from = source.runDir(run);
        Path to = target.runDir(run);
        boolean hasResult = Files.isRegularFile(from.resolve(SweepFolder.RESULT_FILE));
        boolean hasFailure = Files.isRegularFile(from.resolve(SweepFolder.FAILURE_FILE));
        if (!hasResult && !hasFailure) {
            return;
        }
        if (Files.isRegularFile(to.resolve(SweepFolder.RESULT_FILE))) {
            if (hasResult && !sameRun(from.resolve(SweepFolder.RESULT_FILE), to.resolve(SweepFolder.RESULT_FILE))) {
                throw new IllegalStateException(run + " has different results in " + from + " and " + to
                        + "; a seeded run gives one result, so one of them comes from other code or options");
            }
            return;
        }
        if (!hasResult && Files.isRegularFile(to.resolve(SweepFolder.FAILURE_FILE))) {
            return;
        }
        Files.createDirectories(to);
        for (String name : List.of(SweepFolder.RESULT_FILE, SweepFolder.TASK_FILE, SweepFolder.FAILURE_FILE)) {
            if (Files.isRegularFile(from.resolve(name)) && (hasResult || !name.equals(SweepFolder.RESULT_FILE))) {
                Files.copy(from.resolve(name), to.resolve(name), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        if (hasResult) {
            Files.deleteIfExists(to.resolve(SweepFolder.FAILURE_FILE));
            target.finished(run);  // refuses a result of other options
        }
    }

    /** Two results of one run agree on what the training computed. */
    private static boolean sameRun(Path a, Path b) throws IOException {
        JsonNode x = Json.MAPPER.readTree(a.toFile());
        JsonNode y = Json.MAPPER.readTree(b.toFile());
        return COMPUTED.stream().allMatch(field -> x.path(field).equals(y.path(field)));
    }
}

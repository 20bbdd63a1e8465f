package airbench.train.sweep;

import airbench.train.RunResult;
import airbench.train.RunStatistics;
import airbench.train.report.Plots;
import airbench.train.run.Json;
import java.io.IOException;
import java.nio.file.Path;
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
 * The per-cell summary of a sweep folder, computed from the run files alone (so a merged folder of shards gives
 * the summary of the same sweep run in one piece): for each cell the number of finished runs, their final test
 * accuracy's mean, standard deviation and 95% confidence interval of the mean ({@link RunStatistics}), the failed
 * runs with their reasons and the runs not done yet. Written as {@code summary.json}, {@code summary.csv} (one row
 * per cell), {@code runs.csv} (one row per run) and the charts {@code plots/accuracy.png} and
 * {@code plots/tta-levels.png} (one column or line per cell).
 */
final class SweepSummary {
    private static final Logger LOG = LogManager.getLogger(SweepSummary.class);
    static final String JSON_FILE = "summary.json";
    static final String CSV_FILE = "summary.csv";
    static final String RUNS_FILE = "runs.csv";
    static final String PLOTS_FOLDER = "plots";

    /** A run that failed: its seed and why. */
    record Failure(long seed, String error) {}

    /** One row of a cell's runs; {@code resumedTimes} how often it was continued from a checkpoint. */
    record Run(long seed, int ttaLevel, double ttaAccuracy, double trainSeconds, int steps, int resumedTimes) {}

    /**
     * One cell.
     *
     * @param cell          its folder name
     * @param values        its grid values
     * @param n             finished runs
     * @param ttaAccuracy   statistics of their final test accuracy (at the runs' TTA level); null when none finished
     * @param meanTrainSeconds mean timed seconds of a run; null when none finished
     * @param runs          the finished runs by seed
     * @param failed        the failed runs
     * @param missingSeeds  seeds neither finished nor failed (a shard's folder, or a sweep still running or
     *                      stopped)
     * @param unfinishedSeeds of the missing seeds, those with a checkpoint to continue from
     */
    record CellSummary(String cell, Map<String, String> values, int n, RunStatistics ttaAccuracy,
                       Double meanTrainSeconds, List<Run> runs, List<Failure> failed, List<Long> missingSeeds,
                       List<Long> unfinishedSeeds) {}

    /**
     * The whole summary, as {@code summary.json}; {@code runsResumed} the finished runs that were continued from a
     * checkpoint (their task was killed or stopped), {@code runsUnfinished} the missing ones with a checkpoint.
     */
    record Summary(Map<String, Object> plan, int runsPlanned, int runsFinished, int runsFailed, int runsMissing,
                   int runsResumed, int runsUnfinished, List<CellSummary> cells) {}

    private SweepSummary() {}

    /** The summary of {@code plan}'s runs found in {@code folder}. */
    static Summary of(SweepFolder folder, SweepPlan plan) {
        List<CellSummary> cells = new ArrayList<>();
        int finished = 0;
        int failed = 0;
        int missing = 0;
        int resumed = 0;
        int unfinished = 0;
        for (Cell cell : plan.cells()) {
            Map<String, String> options = plan.runOptions(cell);
            List<Run> runs = new ArrayList<>();
            List<Failure> failures = new ArrayList<>();
            List<Long> missingSeeds = new ArrayList<>();
            List<Long> unfinishedSeeds = new ArrayList<>();
            for (long seed : plan.seeds()) {
                RunSpec spec = new RunSpec(cell.name(), seed, options);
                Optional<RunResult> result = folder.result(spec);
                if (result.isPresent()) {
                    RunResult r = result.get();
                    runs.add(new Run(seed, r.ttaLevel(), r.ttaAccuracy(), r.trainSeconds(), r.steps(),
                            r.resumedTimes()));
                    resumed += r.resumedTimes() > 0 ? 1 : 0;
                } else {
                    Optional<String> failure = folder.failure(spec);
                    if (failure.isPresent()) {
                        failures.add(new Failure(seed, failure.get()));
                    } else {
                        missingSeeds.add(seed);
                        if (folder.unfinished(spec)) {
                            unfinishedSeeds.add(seed);
                        }
                    }
                }
            }
            RunStatistics stats = runs.isEmpty() ? null
                    : RunStatistics.of(runs.stream().map(Run::ttaAccuracy).toList());
            Double meanSeconds = runs.isEmpty() ? null
                    : runs.stream().mapToDouble(Run::trainSeconds).average().orElseThrow();
            cells.add(new CellSummary(cell.name(), cell.values(), runs.size(), stats, meanSeconds, runs, failures,
                    missingSeeds, unfinishedSeeds));
            finished += runs.size();
            failed += failures.size();
            missing += missingSeeds.size();
            unfinished += unfinishedSeeds.size();
        }
        return new Summary(plan.toMap(), finished + failed + missing, finished, failed, missing, resumed, unfinished,
                cells);
    }

    /** Computes and writes the summary files of {@code plan} in {@code folder}; {@code charts} also the PNGs. */
    static Summary write(SweepFolder folder, SweepPlan plan, boolean charts) throws IOException {
        Summary summary = of(folder, plan);
        Path dir = folder.dir();
        Json.write(dir.resolve(JSON_FILE), summary);
        SweepFolder.writeText(dir.resolve(CSV_FILE), cellsCsv(plan, summary));
        SweepFolder.writeText(dir.resolve(RUNS_FILE), runsCsv(folder, plan));
        if (charts) {
            writeCharts(folder, plan);
        }
        return summary;
    }

    /** {@code cell,<grid options>,n,failed,missing,mean,sd,ci_low,ci_high,mean_train_seconds}. */
    static String cellsCsv(SweepPlan plan, Summary summary) {
        StringBuilder csv = new StringBuilder("cell");
        plan.grid().forEach(a -> csv.append(',').append(a.name()));
        csv.append(",n,failed,missing,mean,sd,ci_low,ci_high,mean_train_seconds\n");
        for (CellSummary c : summary.cells()) {
            csv.append(quote(c.cell()));
            plan.grid().forEach(a -> csv.append(',').append(quote(c.values().get(a.name()))));
            RunStatistics s = c.ttaAccuracy();
            csv.append(String.format(Locale.ROOT, ",%d,%d,%d,%s,%s,%s,%s,%s%n", c.n(), c.failed().size(),
                    c.missingSeeds().size(), number(s == null ? null : s.mean()),
                    number(s == null ? null : s.standardDeviation()), number(s == null ? null : s.ciLow()),
                    number(s == null ? null : s.ciHigh()), c.meanTrainSeconds() == null ? ""
                            : String.format(Locale.ROOT, "%.3f", c.meanTrainSeconds())));
        }
        return csv.toString();
    }

    /**
     * {@code cell,<grid options>,seed,status,tta_accuracy,train_seconds,resumed_times,executor,host,pid,error}; the
     * status is finished, failed, unfinished (stopped or killed, with a checkpoint) or missing.
     */
    private static String runsCsv(SweepFolder folder, SweepPlan plan) {
        StringBuilder csv = new StringBuilder("cell");
        plan.grid().forEach(a -> csv.append(',').append(a.name()));
        csv.append(",seed,status,tta_accuracy,train_seconds,resumed_times,executor,host,pid,error\n");
        for (Cell cell : plan.cells()) {
            Map<String, String> options = plan.runOptions(cell);
            for (long seed : plan.seeds()) {
                RunSpec spec = new RunSpec(cell.name(), seed, options);
                Optional<RunResult> result = folder.result(spec);
                Optional<String> failure = result.isPresent() ? Optional.empty() : folder.failure(spec);
                String status = result.isPresent() ? "finished" : failure.isPresent() ? "failed"
                        : folder.unfinished(spec) ? "unfinished" : "missing";
                csv.append(quote(cell.name()));
                plan.grid().forEach(a -> csv.append(',').append(quote(cell.values().get(a.name()))));
                csv.append(',').append(seed).append(',').append(status).append(',');
                csv.append(result.map(r -> String.format(Locale.ROOT, "%.6f,%.3f,%d", r.ttaAccuracy(), r.trainSeconds(),
                        r.resumedTimes())).orElse(",,"));
                var task = folder.task(spec);
                csv.append(',').append(quote(task.map(t -> t.path("executor").asText()).orElse("")));
                csv.append(',').append(quote(task.map(t -> t.path("host").asText()).orElse("")));
                csv.append(',').append(task.map(t -> t.path("pid").asText()).orElse(""));
                csv.append(',').append(quote(failure.orElse(""))).append('\n');
            }
        }
        return csv.toString();
    }

    /** One column (accuracy) or line (TTA levels) per cell with finished runs; a chart failure is only logged. */
    private static void writeCharts(SweepFolder folder, SweepPlan plan) {
        List<Plots.Group> groups = new ArrayList<>();
        for (Cell cell : plan.cells()) {
            Map<String, String> options = plan.runOptions(cell);
            List<RunResult> runs = plan.seeds().stream().map(s -> folder.result(new RunSpec(cell.name(), s, options)))
                    .flatMap(Optional::stream).collect(Collectors.toList());
            if (!runs.isEmpty()) {
                groups.add(new Plots.Group(cell.name(), runs));
            }
        }
        if (groups.isEmpty()) {
            return;
        }
        Path out = folder.dir().resolve(PLOTS_FOLDER);
        try {
            Plots.writeComparison(groups, out);
        } catch (RuntimeException e) {
            LOG.warn("could not draw the sweep's charts in {}: {}", out, e.toString());
        }
    }

    /** The summary as a few log lines: one per cell. */
    static String describe(Summary summary) {
        StringBuilder text = new StringBuilder(String.format(Locale.ROOT,
                "%d of %d runs finished, %d failed, %d not run", summary.runsFinished(), summary.runsPlanned(),
                summary.runsFailed(), summary.runsMissing()));
        if (summary.runsResumed() > 0) {
            text.append(String.format(Locale.ROOT, "; %d of the finished continued from a checkpoint",
                    summary.runsResumed()));
        }
        if (summary.runsUnfinished() > 0) {
            text.append(String.format(Locale.ROOT, "; %d of those not run stopped with a checkpoint to continue from",
                    summary.runsUnfinished()));
        }
        for (CellSummary c : summary.cells()) {
            text.append(System.lineSeparator()).append("  ").append(c.cell()).append(": ");
            RunStatistics s = c.ttaAccuracy();
            if (s == null) {
                text.append("no finished run");
            } else if (s.n() == 1) {
                text.append(String.format(Locale.ROOT, "n=1, accuracy %.4f", s.mean()));
            } else {
                text.append(String.format(Locale.ROOT, "n=%d, mean %.4f, sd %.4f, 95%% CI [%.4f, %.4f]", s.n(),
                        s.mean(), s.standardDeviation(), s.ciLow(), s.ciHigh()));
            }
            if (!c.failed().isEmpty()) {
                text.append(", ").append(c.failed().size()).append(" failed (seeds ")
                        .append(c.failed().stream().map(f -> String.valueOf(f.seed())).collect(Collectors.joining(", ")))
                        .append(")");
            }
        }
        return text.toString();
    }

    private static String number(Double value) {
        return value == null ? "" : String.format(Locale.ROOT, "%.6f", value);
    }

    /** CSV quoting where a value needs it (commas in widths, quotes or newlines in errors). */
    private static String quote(String value) {
        if (value == null) {
            return "";
        }
        if (value.contains(",") || value.contains("\"") || value.contains("\n")) {
            return "\"" + value.replace("\"", "\"\"").replace("\n", " ") + "\"";
        }
        return value;
    }
}

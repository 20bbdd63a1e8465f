package airbench.train.run;

import airbench.train.Recipe;
import airbench.train.RunResult;
import airbench.train.RunStatistics;
import airbench.train.StopSignal;
import airbench.train.TrainingListener;
import airbench.train.TrainingStoppedException;
import airbench.train.report.Plots;
import airbench.train.report.TensorBoardListener;
import airbench.data.CifarDataset;
import airbench.data.DatasetChoice;
import airbench.model.ExecutionPlan;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * One command: {@code runs} trainings with seeds {@code seed, seed + 1, ...}, each
 * in its own folder {@code seed-N} under the invocation folder, which also holds
 * the options ({@code invocation.json}) and the summary ({@code summary.json},
 * {@code summary.csv}). Resuming an invocation skips finished runs and continues
 * an interrupted one from its checkpoint.
 */
public final class RunFolder {
    private static final Logger LOG = LogManager.getLogger(RunFolder.class);
    // Every file and folder name of a run folder, here only. An invocation's folder holds OPTIONS_FILE, DATA_FILE, the
    // summaries, PLOTS_FOLDER and one seedFolder per seed; a seed's folder holds RESULT_FILE, WEIGHTS_FILE,
    // MODEL_FOLDER (the export, unless --export moves it), TENSORBOARD_FOLDER and, until it finishes, CHECKPOINT_FILE.
    public static final String OPTIONS_FILE = "invocation.json";
    /** Where the invocation's data was read from and its checksum ({@link RunData}). */
    public static final String DATA_FILE = "data.json";
    public static final String SUMMARY_JSON = "summary.json";
    public static final String SUMMARY_CSV = "summary.csv";
    public static final String RESULT_FILE = "result.json";
    public static final String CHECKPOINT_FILE = "checkpoint.bin";
    public static final String WEIGHTS_FILE = "model-weights.bin";
    public static final String MODEL_FOLDER = "model";
    public static final String TENSORBOARD_FOLDER = "tensorboard";
    /** Folder of the invocation's PNG charts. */
    public static final String PLOTS_FOLDER = "plots";
    /** Options that may differ when resuming: they do not change what is computed. */
    static final Set<String> RESUME_MAY_CHANGE = Set.of("resume", "threads", "data-dir", "claim-above",
            "checkpoint-every");

    /**
     * The summary file's content; {@code dataset} as in {@link RunResult#dataset()}; {@code meanAbove} the one-sided
     * t-test that the mean final accuracy exceeds {@code --claim-above} (94% by default).
     */
    public record Summary(String recipe, List<Map<String, Object>> runs, RunStatistics ttaAccuracy,
                          Map<String, String> options, String dataset, MeanAbove meanAbove) {}

    /**
     * The evidence a record claim gives (docs/METHOD.md section 14): the one-sided t-test that the mean over the runs
     * is above an accuracy.
     *
     * @param accuracy the accuracy the mean is claimed to exceed, as a fraction
     * @param pValue   {@link RunStatistics#pValueAbove}; null with a single run
     */
    public record MeanAbove(double accuracy, Double pValue) {}

    private RunFolder() {}

    /** {@link #create(Path, Recipe, DatasetChoice, Map)} of a CIFAR-10 invocation. */
    public static Path create(Path output, Recipe recipe, Map<String, String> raw) throws IOException {
        return create(output, recipe, DatasetChoice.CIFAR10, raw);
    }

    /**
     * A new invocation folder under {@code output}, never reusing an existing one:
     * {@code <recipe>-<date>-<time>} for CIFAR-10, {@code <recipe>-<dataset>-<date>-<time>} for another
     * dataset ({@code 96-cifar100-20261201-101500}), so the folder says what was trained on.
     */
    public static Path create(Path output, Recipe recipe, DatasetChoice dataset, Map<String, String> raw) throws IOException {
        Files.createDirectories(output);
        String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss", Locale.ROOT));
        String prefix = recipe.name() + (dataset == DatasetChoice.CIFAR10 ? "" : "-" + dataset.id());
        Path dir = output.resolve(prefix + "-" + stamp);
        for (int i = 2; Files.exists(dir); i++) {
            dir = output.resolve(prefix + "-" + stamp + "-" + i);
        }
        Files.createDirectory(dir);
        Map<String, String> stored = new LinkedHashMap<>(raw);
        stored.remove("resume");
        Json.write(dir.resolve(OPTIONS_FILE), stored);
        return dir;
    }

    /**
     * The invocation folder {@code dir}, at a place the caller chose (a sweep's run keeps its unfinished training
     * there), for {@code options}; returns the options to train with. A new folder is created with its
     * {@code invocation.json} and trains {@code options} as given (the same object is returned). A folder that
     * exists must have been started with these options, apart from those a resume may change; where they leave
     * precision or compilation to {@code auto} and this machine would choose otherwise, the choice made at the
     * start stands (the continuation of a checkpoint must compute what its start computed).
     *
     * @throws IllegalStateException when {@code dir} holds an invocation of other options, naming the differences
     */
    @SuppressWarnings("unchecked")
    public static TrainOptions openAt(Path dir, TrainOptions options) throws IOException {
        Map<String, String> pinned = new LinkedHashMap<>(options.pinnedRaw());
        pinned.remove("resume");
        Path file = dir.resolve(OPTIONS_FILE);
        if (!Files.isRegularFile(file)) {
            Files.createDirectories(dir);
            Json.write(file, pinned);
            return options;
        }
        Map<String, String> stored = new LinkedHashMap<>(Json.read(file, Map.class));
        Set<String> keys = new java.util.TreeSet<>(stored.keySet());
        keys.addAll(pinned.keySet());
        keys.removeAll(RESUME_MAY_CHANGE);
        Map<String, String> continued = new LinkedHashMap<>(options.raw());
        List<String> differences = new ArrayList<>();
        for (String key : keys) {
            if (java.util.Objects.equals(stored.get(key), pinned.get(key))) {
                continue;
            }
            if (AUTO_CHOICES.contains(key) && isAuto(options.raw().get(key)) && stored.get(key) != null) {
                LOG.info("{}: continuing with --{} {} as it started (auto chooses {} on this machine)", dir, key,
                        stored.get(key), pinned.get(key));
                continued.put(key, stored.get(key));
            } else {
                differences.add("--" + key + " " + given(stored.get(key)) + " there, " + given(pinned.get(key)) + " now");
            }
        }
        if (!differences.isEmpty()) {
            throw new IllegalStateException(dir + " holds an unfinished training of other options ("
                    + String.join("; ", differences) + "); delete that folder to train this run from its start");
        }
        return continued.equals(options.raw()) ? options : TrainOptions.resolve(continued);
    }

    private static String given(String value) {
        return value == null ? "not given" : value;
    }

    /** Whether an option of {@link #AUTO_CHOICES} is left to the machine: not given, or {@code auto}. */
    public static boolean isAuto(String value) {
        return value == null || value.trim().equalsIgnoreCase(ExecutionPlan.AUTO);
    }

    /** Options whose {@code auto} value is replaced by the machine's choice when an invocation is stored. */
    public static final Set<String> AUTO_CHOICES = Set.of("precision", "compile");

    /**
     * The options of the invocation in {@code dir} (or of the invocation holding the run folder
     * {@code dir}), with the few options that may change on resume taken from {@code given}.
     */
    @SuppressWarnings("unchecked")
    public static Map<String, String> resumedOptions(Path dir, Map<String, String> given) {
        Path folder = invocationFolder(dir);
        for (String key : given.keySet()) {
            if (!RESUME_MAY_CHANGE.contains(key)) {
                throw new UsageException("--" + key + " cannot be changed when resuming; --resume continues " + folder
                        + " with the options it was started with (only --threads, --data-dir and --checkpoint-every"
                        + " may be given)");
            }
        }
        Map<String, String> merged = new LinkedHashMap<>(Json.read(folder.resolve(OPTIONS_FILE), Map.class));
        given.forEach((k, v) -> {
            if (!k.equals("resume")) {
                merged.put(k, v);
            }
        });
        merged.put("resume", folder.toString());
        return merged;
    }

    /** Records the data of the invocation in {@code dir} ({@link #DATA_FILE}). */
    public static void recordData(Path dir, RunData data) {
        Json.write(dir.resolve(DATA_FILE), data);
    }

    /** The data the invocation in {@code dir} recorded; empty for a folder of code that did not record it. */
    public static Optional<RunData> recordedData(Path dir) {
        Path file = invocationFolder(dir).resolve(DATA_FILE);
        return Files.isRegularFile(file) ? Optional.of(Json.read(file, RunData.class)) : Optional.empty();
    }

    static Path invocationFolder(Path dir) {
        if (Files.isRegularFile(dir.resolve(OPTIONS_FILE))) {
            return dir;
        }
        Path parent = dir.toAbsolutePath().getParent();
        if (parent != null && Files.isRegularFile(parent.resolve(OPTIONS_FILE))) {
            return parent;
        }
        throw new UsageException("cannot resume from " + dir + ": it holds no " + OPTIONS_FILE
                + "; pass the folder that a training created under --output (e.g. runs/94-20261124-060000)");
    }

    /** Runs (or continues) every seed of the invocation and writes the summary after each. */
    public static Summary run(Path dir, TrainOptions options, CifarDataset train, CifarDataset test) throws IOException {
        return run(dir, options, train, test, true);
    }

    /**
     * {@link #run(Path, TrainOptions, CifarDataset, CifarDataset)}; without {@code keepModel} (a sweep's run, which
     * keeps its result only) no SavedModel is exported, and no TensorBoard events and no charts are written.
     */
    public static Summary run(Path dir, TrainOptions options, CifarDataset train, CifarDataset test,
                              boolean keepModel) throws IOException {
        return run(dir, options, train, test, keepModel, new StopSignal());
    }

    /**
     * {@link #run(Path, TrainOptions, CifarDataset, CifarDataset, boolean)}, ended early when {@code stop} is
     * requested: the run under way keeps its last step in its checkpoint, no further seed starts.
     *
     * @throws TrainingStoppedException when {@code stop} ended the invocation before its last seed finished
     */
    public static Summary run(Path dir, TrainOptions options, CifarDataset train, CifarDataset test,
                              boolean keepModel, StopSignal stop) throws IOException {
        if (keepModel) {
            refuseExistingExports(dir, options);
        }
        List<TrainingListener> listeners = new ArrayList<>(List.of(TrainingListener.console()));
        if (keepModel && options.tensorboardFolder(seedFolder(dir, options.seed())).isPresent()) {
            listeners.add(new TensorBoardListener(options::tensorboardFolder));
        }
        SeedRun trainer = new SeedRun(options, train, test, TrainingListener.all(listeners), keepModel, stop);
        List<RunResult> results = new ArrayList<>();
        Summary summary = null;
        for (int k = 0; k < options.runs(); k++) {
            long seed = options.seed() + k;
            Path runDir = seedFolder(dir, seed);
            Path resultFile = runDir.resolve(RESULT_FILE);
            RunResult result;
            if (Files.exists(resultFile)) {
                LOG.info("seed {} already finished in {}; keeping its result", seed, runDir);
                result = Json.read(resultFile, RunResult.class);
            } else {
                if (stop.requested()) {
                    // Between two seeds: the finished ones are kept, this one has not started.
                    String reason = stop.reason().orElseThrow();
                    String finished = seed == options.seed() ? "no seed has trained yet"
                            : "seeds " + options.seed() + ".." + (seed - 1) + " are finished in " + dir;
                    throw new TrainingStoppedException(reason, seed, 0, 0, null, "stopped (" + reason + ") before"
                            + " seed " + seed + " started; " + finished);
                }
                LOG.info("run {}/{}: seed {} in {}", k + 1, options.runs(), seed, runDir);
                result = trainer.run(seed, runDir);
            }
            results.add(result);
            summary = summarize(dir, options, results);
            if (keepModel) {
                // A sweep draws its charts from all its runs; a work folder deleted after one run needs none.
                writePlots(dir, results);
            }
        }
        return summary;
    }

    /**
     * The invocation's charts so far ({@link Plots}) into {@code dir/plots}, after every run like the summary.
     * A chart that cannot be drawn is reported, not fatal: the results are already written.
     */
    private static void writePlots(Path dir, List<RunResult> results) {
        Path out = dir.resolve(PLOTS_FOLDER);
        try {
            Plots.writeInvocation(new Plots.Group(dir.toAbsolutePath().normalize().getFileName().toString(),
                    results), out);
            LOG.info("charts of {} run(s) in {}", results.size(), out);
        } catch (RuntimeException e) {
            LOG.warn("could not draw the charts in {}: {}", out, e.toString());
        }
    }

    /** Checked before any training, so that a clash is not discovered after hours of work. */
    private static void refuseExistingExports(Path dir, TrainOptions options) {
        if (options.overwriteExport()) {
            return;
        }
        for (int k = 0; k < options.runs(); k++) {
            long seed = options.seed() + k;
            Path runDir = seedFolder(dir, seed);
            Path export = options.exportFolder(seed, runDir);
            if (!Files.exists(runDir.resolve(RESULT_FILE)) && Files.exists(export)) {
                throw new IllegalStateException("the export folder " + export + " already exists; choose another"
                        + " --export, move it away, or pass --overwrite-export to replace it");
            }
        }
    }

    private static Summary summarize(Path dir, TrainOptions options, List<RunResult> results) {
        List<Map<String, Object>> rows = new ArrayList<>();
        List<Double> accuracies = new ArrayList<>();
        StringBuilder csv = new StringBuilder("seed,tta_level,tta_accuracy,train_seconds,wall_seconds,steps\n");
        for (RunResult r : results) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("seed", r.seed());
            row.put("tta_level", r.ttaLevel());
            row.put("tta_accuracy", r.ttaAccuracy());
            row.put("train_seconds", r.trainSeconds());
            row.put("wall_seconds", r.wallSeconds());
            row.put("steps", r.steps());
            rows.add(row);
            accuracies.add(r.ttaAccuracy());
            csv.append(String.format(Locale.ROOT, "%d,%d,%.6f,%.3f,%.3f,%d%n", r.seed(), r.ttaLevel(),
                    r.ttaAccuracy(), r.trainSeconds(), r.wallSeconds(), r.steps()));
        }
        RunStatistics stats = RunStatistics.of(accuracies);
        double claim = options.claimAbove();
        Summary summary = new Summary(options.recipe().name(), rows, stats, options.raw(), options.dataset().id(),
                new MeanAbove(claim, stats.pValueAbove(claim)));
        Json.write(dir.resolve(SUMMARY_JSON), summary);
        try {
            Path tmp = dir.resolve("summary.csv.tmp");
            Files.writeString(tmp, csv);
            Files.move(tmp, dir.resolve(SUMMARY_CSV), java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("could not write " + dir.resolve(SUMMARY_CSV), e);
        }
        if (stats.n() > 1) {
            LOG.info(String.format(Locale.ROOT,
                    "%d runs: TTA accuracy mean %.4f, standard deviation %.4f, 95%% CI of the mean [%.4f, %.4f]",
                    stats.n(), stats.mean(), stats.standardDeviation(), stats.ciLow(), stats.ciHigh()));
            LOG.info(String.format(Locale.ROOT, "%d runs: one-sided t-test that the mean exceeds %.4f: p = %.4g (%d"
                    + " degrees of freedom)", stats.n(), claim, summary.meanAbove().pValue(), stats.n() - 1));
        }
        return summary;
    }

    /** The folder of the run of {@code seed} in the invocation folder {@code dir}. */
    public static Path seedFolder(Path dir, long seed) {
        return dir.resolve("seed-" + seed);
    }
}

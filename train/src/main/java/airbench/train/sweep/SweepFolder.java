package airbench.train.sweep;

import airbench.train.RunResult;
import airbench.train.run.Json;
import airbench.train.run.RunFolder;
import airbench.train.run.ScratchRun;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * The folder of a sweep: {@code sweep.json} (the plan), and per run {@code <cell>/seed-N/} with
 * {@code result.json} (as the trainer wrote it) and {@code task.json} (where and how long it ran), or
 * {@code failure.json} (why it failed) instead of the result, and while it trains {@code unfinished/} (its
 * checkpoints, continued by a retry or the next run of the sweep; deleted once the result is recorded). Summaries
 * ({@link SweepSummary}) sit at the top. A run with a result is finished: running the sweep again skips it.
 */
final class SweepFolder {
    static final String PLAN_FILE = "sweep.json";
    static final String RESULT_FILE = RunFolder.RESULT_FILE;
    static final String TASK_FILE = "task.json";
    static final String FAILURE_FILE = "failure.json";
    /** Inside a run's folder: its training until the result is recorded (checkpoints a retry continues). */
    static final String UNFINISHED_FOLDER = "unfinished";
    /**
     * Options that may differ between a stored result and the run planned now without making it another run:
     * the threads depend on where it ran, the data folder on the machine, the checkpoints' spacing on how often
     * the machines are taken away (as {@code train --resume} allows).
     */
    static final Set<String> MAY_DIFFER = Set.of("threads", "data-dir", "seed", "checkpoint-every");

    private final Path dir;

    private SweepFolder(Path dir) {
        this.dir = dir;
    }

    Path dir() {
        return dir;
    }

    /**
     * Opens {@code dir} for {@code plan}, creating it if needed. A folder that exists must be empty or a sweep
     * folder: nothing else is written into. Its {@code sweep.json} then becomes {@code plan} (a sweep may be
     * extended by more seeds or cells); runs already in it are checked against the plan when they are met.
     *
     * @param how what runs this plan here (the command line, the engine, a shard), recorded beside the plan
     * @throws airbench.train.run.UsageException when {@code dir} is a file or a folder of something else
     */
    static SweepFolder open(Path dir, SweepPlan plan, Map<String, Object> how) throws IOException {
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new airbench.train.run.UsageException(dir + " is a file; --output must name a folder for the sweep");
        }
        if (Files.isDirectory(dir) && !Files.exists(dir.resolve(PLAN_FILE))) {
            try (Stream<Path> entries = Files.list(dir)) {
                if (entries.findAny().isPresent()) {
                    throw new airbench.train.run.UsageException(dir + " exists and is not a sweep folder (no " + PLAN_FILE
                            + "); choose a new --output folder, or the folder of the sweep to continue");
                }
            }
        }
        Files.createDirectories(dir);
        Map<String, Object> stored = new LinkedHashMap<>(plan.toMap());
        stored.put("written", OffsetDateTime.now(ZoneOffset.UTC).withNano(0).toString());
        stored.putAll(how);
        Json.write(dir.resolve(PLAN_FILE), stored);
        return new SweepFolder(dir);
    }

    /** An existing sweep folder, to read (merge). */
    static SweepFolder existing(Path dir) {
        if (!Files.isRegularFile(dir.resolve(PLAN_FILE))) {
            throw new airbench.train.run.UsageException(dir + " is not a sweep folder (no " + PLAN_FILE + ")");
        }
        return new SweepFolder(dir);
    }

    /** The plan stored in the folder. */
    SweepPlan plan() {
        try {
            return SweepPlan.fromJson(Json.MAPPER.readTree(dir.resolve(PLAN_FILE).toFile()));
        } catch (IOException e) {
            throw new UncheckedIOException("could not read " + dir.resolve(PLAN_FILE) + ": " + e.getMessage(), e);
        }
    }

    Path runDir(RunSpec run) {
        return RunFolder.seedFolder(dir.resolve(run.cell()), run.seed());
    }

    /** Where {@code run} keeps its training in this folder until its result is recorded. */
    Path unfinishedFolder(RunSpec run) {
        return runDir(run).resolve(UNFINISHED_FOLDER);
    }

    /**
     * Where {@code run} keeps its unfinished training when it executes in this process: its
     * {@link #unfinishedFolder} when this process sees the sweep folder (at {@code sweepFolder}, the driver's path:
     * this machine, a shared file system), else a folder of this machine's temporary folder named after the sweep
     * folder's path, the same for every attempt here, so that a retry on the same machine still finds it.
     */
    static Path workFolder(String sweepFolder, RunSpec run) {
        Path sweep = Path.of(sweepFolder);
        if (Files.isRegularFile(sweep.resolve(PLAN_FILE))) {
            return new SweepFolder(sweep).unfinishedFolder(run);
        }
        String id = UUID.nameUUIDFromBytes(sweepFolder.getBytes(StandardCharsets.UTF_8)).toString();
        return Path.of(System.getProperty("java.io.tmpdir"), "airbench-sweep-" + id, run.folder());
    }

    /**
     * Whether {@code run} has its result here. A result of other options (the sweep-wide options changed since)
     * is refused rather than counted as this run.
     *
     * @throws IllegalStateException naming the differing options
     */
    boolean finished(RunSpec run) {
        Path file = runDir(run).resolve(RESULT_FILE);
        if (!Files.isRegularFile(file)) {
            return false;
        }
        Map<String, String> stored = new LinkedHashMap<>();
        try {
            Json.MAPPER.readTree(file.toFile()).path("options").fields()
                    .forEachRemaining(e -> stored.put(e.getKey(), e.getValue().asText()));
        } catch (IOException e) {
            throw new IllegalStateException("could not read " + file + ": " + e.getMessage()
                    + "; delete its run folder to train the run again", e);
        }
        Map<String, String> planned = new LinkedHashMap<>(run.options());
        MAY_DIFFER.forEach(k -> {
            stored.remove(k);
            planned.remove(k);
        });
        // Left to auto by the plan: a run continued on another machine keeps the choice its start made.
        RunFolder.AUTO_CHOICES.forEach(k -> {
            if (RunFolder.isAuto(planned.get(k))) {
                stored.remove(k);
                planned.remove(k);
            }
        });
        if (!stored.equals(planned)) {
            throw new IllegalStateException(file + " is a run with the options " + stored + ", but this sweep plans "
                    + planned + " for it; give the sweep another --output folder (or move that run away)");
        }
        return true;
    }

    /**
     * Writes what a run gave: its result (and removes an earlier failure and its unfinished training), its failure,
     * or that it was stopped (not a failure: its checkpoint stays for the next run of the sweep).
     */
    void record(RunOutcome outcome) throws IOException {
        Path runDir = runDir(outcome.spec());
        Files.createDirectories(runDir);
        Map<String, Object> task = new LinkedHashMap<>();
        task.put("executor", outcome.where().executor());
        task.put("host", outcome.where().host());
        task.put("pid", outcome.where().pid());
        task.put("attempt", outcome.where().attempt());
        task.put("threads", outcome.where().threads());
        task.put("seconds", outcome.seconds());
        task.put("recorded", OffsetDateTime.now(ZoneOffset.UTC).withNano(0).toString());
        if (outcome.finished()) {
            writeText(runDir.resolve(RESULT_FILE), outcome.resultJson());
            Files.deleteIfExists(runDir.resolve(FAILURE_FILE));
            ScratchRun.deleteWorkFolder(unfinishedFolder(outcome.spec()));
        } else if (outcome.stopped()) {
            task.put("stopped", outcome.error());
            Files.deleteIfExists(runDir.resolve(FAILURE_FILE));
        } else {
            task.put("error", outcome.error());
            Json.write(runDir.resolve(FAILURE_FILE), Map.of("seed", outcome.spec().seed(), "error", outcome.error()));
        }
        Json.write(runDir.resolve(TASK_FILE), task);
    }

    /** Whether the run has an unfinished training here with a checkpoint to continue from. */
    boolean unfinished(RunSpec run) {
        return !Files.isRegularFile(runDir(run).resolve(RESULT_FILE))
                && Files.isRegularFile(ScratchRun.checkpoint(unfinishedFolder(run), run.seed()));
    }

    /** The run's result, if it finished. */
    Optional<RunResult> result(RunSpec run) {
        Path file = runDir(run).resolve(RESULT_FILE);
        return Files.isRegularFile(file) ? Optional.of(Json.read(file, RunResult.class)) : Optional.empty();
    }

    /** Why the run failed, if its last attempt failed and it has no result. */
    Optional<String> failure(RunSpec run) {
        Path file = runDir(run).resolve(FAILURE_FILE);
        if (!Files.isRegularFile(file) || Files.isRegularFile(runDir(run).resolve(RESULT_FILE))) {
            return Optional.empty();
        }
        try {
            JsonNode node = Json.MAPPER.readTree(file.toFile());
            return Optional.of(node.path("error").asText());
        } catch (IOException e) {
            return Optional.of("(unreadable " + file + ": " + e.getMessage() + ")");
        }
    }

    /** Where the run ran (task.json), if recorded. */
    Optional<JsonNode> task(RunSpec run) {
        Path file = runDir(run).resolve(TASK_FILE);
        try {
            return Files.isRegularFile(file) ? Optional.of(Json.MAPPER.readTree(file.toFile())) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** Atomically, like every file of the project: a reader never sees half a result. */
    static void writeText(Path file, String text) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}

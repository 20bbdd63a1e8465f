package airbench.train.run;

import airbench.data.CifarData;
import airbench.data.CifarDataset;
import airbench.data.DatasetChoice;
import airbench.model.TensorFlowRuntime;
import airbench.train.StopSignal;
import airbench.train.TrainingStoppedException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * One training as the {@code train} command runs it, for callers that keep the result elsewhere: the sweep's
 * Spark tasks and shards ({@code airbench.train.sweep}). This is the sweep's only entry into the trainer: the
 * options are validated by {@link TrainOptions#resolve}, the data is found by {@link TrainOptions#loadData}, and the
 * run is a {@link RunFolder} of one seed in a scratch folder, so the {@code result.json} returned is the file
 * {@code train} with the same options writes (its {@code options} field included). It exports no SavedModel and
 * writes no TensorBoard events, and the scratch folder (checkpoints, weights) is deleted afterwards: a sweep keeps
 * results, and any run can be repeated exactly from its options and seed.
 */
public final class ScratchRun {
    /**
     * Options of the {@code train} command that a single run here cannot take: the run's folder, export and
     * event files are the caller's business (it keeps the returned result), the seed is the second argument,
     * and the rest stop before training.
     */
    public static final Set<String> EXCLUDED_OPTIONS = Set.of("output", "resume", "export", "overwrite-export",
            "tensorboard", "runs", "seed", "dry-run", "list-recipes", "help");

    /** The data of the last dataset and location read; a Spark executor runs many trainings on one copy. */
    private static DatasetChoice cachedDataset;
    private static Optional<Path> cachedLocation;
    private static CifarData cachedData;

    private ScratchRun() {}

    /**
     * Trains the run of {@code seed} with {@code options} (flag names without dashes, values as on the command
     * line, as {@link TrainOptionTable#parse} returns them) in a scratch folder deleted afterwards, and returns its
     * {@code result.json}.
     *
     * @throws UsageException           for an option a single run cannot take or a bad value
     * @throws airbench.data.DataException when the data cannot be found or read
     * @throws IOException              when the scratch folder cannot be written
     * @throws RuntimeException         whatever the training throws (a diverged loss, a bad batch size, ...)
     */
    public static String train(Map<String, String> options, long seed) throws IOException {
        Path scratch = Files.createTempDirectory("airbench-run-");
        try {
            return train(options, seed, scratch, new StopSignal());
        } finally {
            deleteTree(scratch);
        }
    }

    /**
     * {@link #train(Map, long)} in {@code workFolder}, which keeps the run's checkpoints (every epoch end, every
     * {@code --checkpoint-every} steps, the step of a stop) until the caller has taken the result and deletes the
     * folder: called again with the same folder after its process was killed or stopped, the run continues from its
     * last checkpoint, bit for bit as if never interrupted, and its result says how often it was resumed. A folder
     * whose run finished but whose result was not taken gives that result again without training.
     *
     * @param stop ends the run after its current step, its checkpoint then holding that step
     * @throws TrainingStoppedException when {@code stop} ended the run; its state stays in {@code workFolder}
     * @throws IllegalStateException    when {@code workFolder} holds the unfinished training of other options
     */
    public static String train(Map<String, String> options, long seed, Path workFolder, StopSignal stop)
            throws IOException {
        for (String key : options.keySet()) {
            if (EXCLUDED_OPTIONS.contains(key)) {
                throw new UsageException("--" + key + " does not apply to a single run of a sweep");
            }
        }
        Map<String, String> raw = new LinkedHashMap<>(options);
        raw.put("seed", String.valueOf(seed));
        // Resolved before anything is written, so that a bad value is refused first.
        TrainOptions resolved = RunFolder.openAt(workFolder, TrainOptions.resolve(raw));
        TensorFlowRuntime.configure(resolved.oneDnn());
        CifarData data = data(resolved);
        CifarDataset train = resolved.trainSubset() > 0
                ? data.train().first(Math.min(resolved.trainSubset(), data.train().size())) : data.train();
        RunFolder.run(workFolder, resolved, train, data.test(), false, stop);
        return Files.readString(RunFolder.seedFolder(workFolder, seed).resolve(RunFolder.RESULT_FILE));
    }

    /** The checkpoint a training of {@code seed} in {@code workFolder} continues from, if it is there. */
    public static Path checkpoint(Path workFolder, long seed) {
        return RunFolder.seedFolder(workFolder, seed).resolve(RunFolder.CHECKPOINT_FILE);
    }

    /** Deletes a run's work folder once its result is kept elsewhere; a failure to delete is only logged. */
    public static void deleteWorkFolder(Path workFolder) {
        if (Files.isDirectory(workFolder)) {
            deleteTree(workFolder);
        }
    }

    private static synchronized CifarData data(TrainOptions options) {
        if (cachedData == null || cachedDataset != options.dataset() || !cachedLocation.equals(options.dataDir())) {
            cachedData = null;  // let the old copy go before the new one is read
            cachedData = options.loadData();
            cachedDataset = options.dataset();
            cachedLocation = options.dataDir();
        }
        return cachedData;
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException | UncheckedIOException e) {
            org.apache.logging.log4j.LogManager.getLogger(ScratchRun.class)
                    .warn("could not delete the scratch folder {}: {}", root, e.toString());
        }
    }
}

package airbench.train.examples;

import airbench.train.Recipe;
import airbench.train.TrainedModel;
import airbench.train.Training;
import airbench.train.TrainingListener;
import airbench.data.CifarData;
import airbench.data.CifarDataset;
import airbench.data.CifarVariant;
import airbench.eval.Evaluation;
import airbench.eval.Softmax;
import airbench.model.ExecutionPlan;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The data-selection experiment of docs/METHOD.md section 12, written against the library's public API alone (it
 * lives in its own package, so nothing package-private of {@code airbench.train} is visible to it, and it uses
 * none of the command-line, run-folder or report packages; the {@code select} command is its command line):
 * <ol>
 *   <li>train airbench94 on the whole training set with label smoothing 0 (a better confidence signal);</li>
 *   <li>the confidence of every training image is its largest log-softmax value, computed in evaluation mode
 *       on the un-augmented image (TTA level 0, as the reference's {@code infer});</li>
 *   <li>for every seed: train airbench94 for 16 epochs (its label smoothing 0.2, batch 1,024, alternating
 *       flip, translate 2) on a random 60% of the training images, and on the 60% with the LOWEST
 *       confidence, with the same seed; the reference reports about 93% and about 94%.</li>
 * </ol>
 * Both subsets have exactly {@code round(fraction * n)} images (the reference draws its random subset as a
 * Bernoulli mask, about 60%, and cuts its confidence subset at the 0.6 quantile); ties in confidence go to
 * the lower image index, and a subset keeps the training set's order (its first 5,000 images give the
 * whitening filters, as in the reference). The confidence training uses the first seed.
 *
 * <p>Resumable: every finished part is written as it completes ({@code confidence.json} with
 * {@code confidences.csv}, then {@code seed-K-random.json} and {@code seed-K-lowest.json}), and running the
 * same command again with {@code --out} pointing at the folder skips them. {@code result.json} holds
 * everything finished so far. A folder of another configuration is refused, never overwritten.
 *
 * <p>Use: {@code DataSelection.prepare(settings).run()}; {@link #prepare} checks everything that needs no
 * training (the data, the subset size, the folder) and throws {@link IllegalArgumentException} for what the
 * settings got wrong.
 */
public final class DataSelection {
    private static final Logger LOG = LogManager.getLogger(DataSelection.class);
    /** What decides the results ({@link Settings#definition()}): a folder continues only with the same. */
    public static final String EXPERIMENT_FILE = "experiment.json";
    public static final String CONFIDENCE_FILE = "confidence.json";
    public static final String CONFIDENCES_CSV = "confidences.csv";
    /** Everything finished so far. */
    public static final String RESULT_FILE = "result.json";
    /**
     * The JSON of every file here: snake_case fields, indented, unknown fields ignored (the settings the
     * project's run folders are written with, so that folders written before this example had its own
     * mapper continue byte for byte).
     */
    private static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    /** Mixed into a run's seed for its random subset, so the subset's draws are not the weights' draws. */
    static final long SUBSET_STREAM = 0x5E1EC7ED5E1EC7EDL;

    /** The two ways of choosing the subset. */
    enum Selection {
        RANDOM("random", "random"), LOWEST("lowest", "lowest-confidence");

        /** Its name in file names and JSON. */
        final String key;
        final String description;

        Selection(String key, String description) {
            this.key = key;
            this.description = description;
        }
    }

    /**
     * What one experiment does (the {@code select} command's options, validated there).
     *
     * @param seed             seed of the confidence training and of the first selection run
     * @param runs             selection runs, seeds seed .. seed + runs - 1
     * @param fraction         share of the training images each subset holds
     * @param epochs           epochs of the selection trainings
     * @param confidenceEpochs epochs of the confidence training (the recipe's 9.9 when not given)
     * @param trainSubset      use the first N training images for everything (0 = all)
     * @param ttaLevel         TTA level of the reported accuracies
     * @param execution        precision and graph execution of every training
     * @param threads          TensorFlow intra-op threads
     * @param dataDir          where the data is, if given
     * @param out              the experiment's folder
     */
    public record Settings(long seed, int runs, double fraction, double epochs, double confidenceEpochs,
                           int trainSubset, int ttaLevel, ExecutionPlan execution, int threads, Optional<Path> dataDir,
                           Path out) {

        /** @throws IllegalArgumentException naming the setting that is out of its range */
        public Settings {
            require(runs >= 1, "runs must be at least 1, got " + runs);
            require(fraction > 0 && fraction <= 1, "fraction must be in (0, 1], got " + fraction);
            require(epochs > 0, "epochs must be positive, got " + epochs);
            require(confidenceEpochs > 0, "confidence epochs must be positive, got " + confidenceEpochs);
            require(trainSubset >= 0, "train subset must be 0 (all) or positive, got " + trainSubset);
            require(ttaLevel >= 0 && ttaLevel <= 2, "TTA level must be 0, 1 or 2, got " + ttaLevel);
            require(threads >= 1, "threads must be at least 1, got " + threads);
            java.util.Objects.requireNonNull(execution, "execution");
            java.util.Objects.requireNonNull(dataDir, "dataDir (empty for: as the library finds it)");
            java.util.Objects.requireNonNull(out, "out");
        }

        private static void require(boolean condition, String message) {
            if (!condition) {
                throw new IllegalArgumentException(message);
            }
        }

        /** What decides the results (not runs, threads, dataDir or out): must match to continue a folder. */
        public Map<String, Object> definition() {
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("recipe", Recipe.AIRBENCH94.name());
            d.put("seed", seed);
            d.put("fraction", fraction);
            d.put("epochs", epochs);
            d.put("confidence_epochs", confidenceEpochs);
            d.put("train_subset", trainSubset);
            d.put("tta_level", ttaLevel);
            d.put("precision", execution.precision().name().toLowerCase(Locale.ROOT));
            d.put("compile", execution.compilation().name().toLowerCase(Locale.ROOT));
            return d;
        }
    }

    private DataSelection() {}

    /** {@code prepare(s).run()}: the whole experiment; returns its table. */
    public static String run(Settings s) {
        return prepare(s).run();
    }

    /**
     * Loads the data and checks what needs no training: a subset of at least one batch, and a folder that is new,
     * empty, or holds this very experiment (then its finished parts are kept); creates the folder.
     *
     * @throws IllegalArgumentException when the settings ask for a subset smaller than one batch, or name a folder of
     *                                  another experiment or of other files (which is left as it is)
     */
    public static Experiment prepare(Settings s) {
        CifarData cifar = CifarData.load(CifarVariant.CIFAR10, s.dataDir());
        CifarDataset train = s.trainSubset() > 0
                ? cifar.train().first(Math.min(s.trainSubset(), cifar.train().size())) : cifar.train();
        int size = subsetSize(train.size(), s.fraction());
        int batch = Recipe.AIRBENCH94.optimizer().batchSize();
        if (size < batch) {
            // Checked now rather than by the first selection training, after the whole confidence training.
            throw new IllegalArgumentException("a subset of " + size + " images (" + s.fraction() + " of "
                    + train.size() + ") is smaller than one batch of " + batch + "; use more training images or a"
                    + " larger fraction");
        }
        prepareFolder(s);
        return new Experiment(s, cifar, train, size);
    }

    /** A prepared experiment: its data checked and its folder ready. */
    public static final class Experiment {
        private final Settings s;
        private final CifarData cifar;
        private final CifarDataset train;
        private final int size;

        private Experiment(Settings s, CifarData cifar, CifarDataset train, int size) {
            this.s = s;
            this.cifar = cifar;
            this.train = train;
            this.size = size;
        }

        /** The whole experiment; every finished part is on disk before the next starts. Returns its table. */
        public String run() {
            return DataSelection.run(s, cifar, train, size);
        }
    }

    private static String run(Settings s, CifarData cifar, CifarDataset train, int size) {
        LOG.info("data selection: {} of {} training images per subset, {} run(s), results in {} (to continue after an"
                + " interruption, run the same experiment into {} again)", size, train.size(), s.runs(), s.out(),
                s.out());
        Training base = Training.of(Recipe.AIRBENCH94).withExecution(s.execution()).withThreads(s.threads());

        Map<String, Object> confidencePart = readPart(s.out().resolve(CONFIDENCE_FILE));
        double[] confidence;
        if (confidencePart != null && Files.exists(s.out().resolve(CONFIDENCES_CSV))) {
            confidence = readConfidences(s.out().resolve(CONFIDENCES_CSV), train);
            LOG.info("confidences: kept from {}", s.out().resolve(CONFIDENCES_CSV));
        } else {
            long start = System.nanoTime();
            Recipe recipe = Recipe.AIRBENCH94.toBuilder().labelSmoothing(0).epochs(s.confidenceEpochs()).build();
            LOG.info("confidence training: recipe 94 with label smoothing 0, {} epochs, seed {}, on {} images",
                    recipe.epochs(), s.seed(), train.size());
            try (TrainedModel model = base.withRecipe(recipe).withSeed(s.seed())
                    .withListener(TrainingListener.console()).run(train)) {
                long inferStart = System.nanoTime();
                confidence = confidences(model.logits(train.images(), 0), model.numClasses());
                double inferSeconds = seconds(System.nanoTime() - inferStart);
                Evaluation test = model.evaluate(cifar.test(), s.ttaLevel());
                writeConfidences(s.out().resolve(CONFIDENCES_CSV), confidence, train);
                confidencePart = new LinkedHashMap<>();
                confidencePart.put("seed", s.seed());
                confidencePart.put("label_smoothing", 0.0);
                confidencePart.put("epochs", recipe.epochs());
                confidencePart.put("train_images", train.size());
                confidencePart.put("steps", model.steps());
                confidencePart.put("tta_level", s.ttaLevel());
                confidencePart.put("test_accuracy", test.accuracy());
                confidencePart.put("train_seconds", model.trainSeconds());
                confidencePart.put("confidence_seconds", inferSeconds);
                confidencePart.put("wall_seconds", seconds(System.nanoTime() - start));
                write(s.out().resolve(CONFIDENCE_FILE), confidencePart);
                LOG.info(String.format(Locale.ROOT, "confidence training: test accuracy %.4f (TTA level %d);"
                        + " confidences of %d images in %.1f s, written to %s", test.accuracy(), s.ttaLevel(),
                        train.size(), inferSeconds, s.out().resolve(CONFIDENCES_CSV)));
            }
        }

        Recipe selectionRecipe = Recipe.AIRBENCH94.toBuilder().epochs(s.epochs()).build();
        List<Map<String, Object>> runs = new ArrayList<>();
        for (int k = 0; k < s.runs(); k++) {
            long seed = s.seed() + k;
            Map<String, Object> run = new LinkedHashMap<>();
            run.put("seed", seed);
            for (Selection selection : Selection.values()) {
                Path file = s.out().resolve("seed-" + seed + "-" + selection.key + ".json");
                Map<String, Object> part = readPart(file);
                if (part != null) {
                    LOG.info("seed {}, {} subset: kept from {}", seed, selection.description, file);
                } else {
                    part = trainOnSubset(base.withRecipe(selectionRecipe).withSeed(seed), selection, train,
                            cifar.test(), confidence, size, s);
                    write(file, part);
                }
                run.put(selection.key, part);
            }
            runs.add(run);
            write(s.out().resolve(RESULT_FILE), summary(s, train.size(), size, confidencePart, runs));
        }
        LOG.info("results in {}", s.out().resolve(RESULT_FILE));
        return table(s, train.size(), size, runs);
    }

    private static Map<String, Object> trainOnSubset(Training training, Selection selection, CifarDataset train,
                                                     CifarDataset test, double[] confidence, int size, Settings s) {
        long start = System.nanoTime();
        long subsetSeed = training.seed() ^ SUBSET_STREAM;
        boolean[] mask = selection == Selection.RANDOM ? randomSubset(train.size(), size, subsetSeed)
                : lowestConfidence(confidence, size);
        CifarDataset subset = train.select(mask);
        LOG.info("seed {}: training recipe 94 for {} epochs on the {} subset of {} images", training.seed(),
                training.recipe().epochs(), selection.description, subset.size());
        try (TrainedModel model = training.withListener(TrainingListener.console()).run(subset)) {  // its own table
            long evalStart = System.nanoTime();
            Map<Integer, Evaluation> byLevel = model.evaluateUpTo(test, s.ttaLevel());
            double evalSeconds = seconds(System.nanoTime() - evalStart);
            Map<String, Object> part = new LinkedHashMap<>();
            part.put("selection", selection.key);
            part.put("seed", training.seed());
            if (selection == Selection.RANDOM) {
                part.put("subset_seed", subsetSeed);
            }
            part.put("train_images", subset.size());
            part.put("epochs", training.recipe().epochs());
            part.put("steps", model.steps());
            part.put("tta_level", s.ttaLevel());
            part.put("accuracy", byLevel.get(s.ttaLevel()).accuracy());
            Map<String, Double> levels = new LinkedHashMap<>();
            byLevel.forEach((level, e) -> levels.put(String.valueOf(level), e.accuracy()));
            part.put("accuracy_by_tta_level", levels);
            part.put("train_seconds", model.trainSeconds() + evalSeconds);
            part.put("wall_seconds", seconds(System.nanoTime() - start));
            LOG.info(String.format(Locale.ROOT, "seed %d, %s subset: test accuracy %.4f (TTA level %d), %.0f s",
                    training.seed(), selection.description, byLevel.get(s.ttaLevel()).accuracy(), s.ttaLevel(),
                    seconds(System.nanoTime() - start)));
            return part;
        }
    }

    /** Images in each subset: {@code round(fraction * n)}. */
    static int subsetSize(int n, double fraction) {
        return (int) Math.round(fraction * n);
    }

    /**
     * Every image's confidence: its largest log-softmax value, {@code max_k l_k - log sum_j exp(l_j)}, which is
     * {@code -log sum_j exp(l_j - max_k l_k)} (computed so, in double, to stay finite for any logits).
     *
     * @param logits [n, classes] row-major
     */
    static double[] confidences(float[] logits, int classes) {
        return Softmax.largestLogProbability(logits, classes);
    }

    /** The {@code count} images of lowest confidence (ties: the lower index first), as a mask. */
    static boolean[] lowestConfidence(double[] confidence, int count) {
        Integer[] order = new Integer[confidence.length];
        Arrays.setAll(order, i -> i);
        Arrays.sort(order, Comparator.<Integer>comparingDouble(i -> confidence[i]).thenComparingInt(i -> i));
        boolean[] mask = new boolean[confidence.length];
        for (int k = 0; k < count; k++) {
            mask[order[k]] = true;
        }
        return mask;
    }

    /** {@code count} of {@code n} images drawn uniformly without replacement (a partial Fisher-Yates shuffle). */
    static boolean[] randomSubset(int n, int count, long seed) {
        int[] order = IntStream.range(0, n).toArray();
        SplittableRandom random = new SplittableRandom(seed);
        boolean[] mask = new boolean[n];
        for (int k = 0; k < count; k++) {
            int pick = k + random.nextInt(n - k);
            int swap = order[k];
            order[k] = order[pick];
            order[pick] = swap;
            mask[order[k]] = true;
        }
        return mask;
    }

    /**
     * Creates the folder, or checks that an existing one holds this very experiment (then its finished parts
     * are kept); refuses anything else rather than mixing or overwriting results.
     */
    private static void prepareFolder(Settings s) {
        Path experiment = s.out().resolve(EXPERIMENT_FILE);
        try {
            if (Files.isRegularFile(experiment)) {
                @SuppressWarnings("unchecked")
                Map<String, Object> stored = JSON.readValue(experiment.toFile(), Map.class);
                // Through JSON and back, so that numbers compare as the stored ones were read.
                @SuppressWarnings("unchecked")
                Map<String, Object> now = JSON.readValue(JSON.writeValueAsBytes(s.definition()),
                        Map.class);
                if (!stored.equals(now)) {
                    List<String> differences = new ArrayList<>();
                    now.forEach((key, value) -> {
                        if (!String.valueOf(value).equals(String.valueOf(stored.get(key)))) {
                            differences.add(key + " " + stored.get(key) + " there, " + value + " now");
                        }
                    });
                    throw new IllegalArgumentException(s.out() + " holds another data-selection experiment ("
                            + String.join("; ", differences) + "); give the settings it was started with to continue"
                            + " it, or another folder");
                }
                LOG.info("continuing the experiment in {}: finished parts are kept", s.out());
                return;
            }
            if (Files.isDirectory(s.out())) {
                try (var entries = Files.list(s.out())) {
                    if (entries.findAny().isPresent()) {
                        throw new IllegalArgumentException(s.out() + " exists and is not a data-selection folder"
                                + " (no " + EXPERIMENT_FILE + "); choose another folder");
                    }
                }
            }
            Files.createDirectories(s.out());
            write(experiment, s.definition());
        } catch (IOException e) {
            throw new UncheckedIOException("could not prepare " + s.out() + ": " + e.getMessage(), e);
        }
    }

    /**
     * The finished part in {@code file}, or null if there is none yet. Every file here is a map, whose keys
     * {@link #JSON}'s snake_case naming leaves alone (it renames record fields).
     */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> readPart(Path file) {
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try {
            return JSON.readValue(file.toFile(), LinkedHashMap.class);
        } catch (IOException e) {
            throw new UncheckedIOException("could not read " + file + " (" + e.getMessage() + "); move it away to"
                    + " compute that part again", e);
        }
    }

    /** Writes to a temporary sibling, then renames, so a reader never sees half a file. */
    private static void write(Path file, Object value) {
        try {
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            JSON.writeValue(tmp.toFile(), value);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("could not write " + file + ": " + e.getMessage(), e);
        }
    }

    /** {@code index,label,confidence} per training image; doubles in their shortest exact decimal form. */
    static void writeConfidences(Path file, double[] confidence, CifarDataset train) {
        StringBuilder csv = new StringBuilder("index,label,confidence\n");
        for (int i = 0; i < confidence.length; i++) {
            csv.append(i).append(',').append(train.labels()[i]).append(',').append(confidence[i]).append('\n');
        }
        try {
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.writeString(tmp, csv, StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("could not write " + file + ": " + e.getMessage(), e);
        }
    }

    /** The confidences written by {@link #writeConfidences}, checked against the training set they belong to. */
    static double[] readConfidences(Path file, CifarDataset train) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("could not read " + file + ": " + e.getMessage(), e);
        }
        if (lines.size() != train.size() + 1) {
            throw new IllegalStateException(file + " holds " + (lines.size() - 1) + " confidences for "
                    + train.size() + " training images; move it away to compute them again");
        }
        double[] confidence = new double[train.size()];
        for (int i = 0; i < confidence.length; i++) {
            String[] fields = lines.get(i + 1).split(",");
            if (fields.length != 3 || !fields[0].equals(String.valueOf(i))
                    || !fields[1].equals(String.valueOf(train.labels()[i]))) {
                throw new IllegalStateException(file + " line " + (i + 2) + " ('" + lines.get(i + 1) + "') does not"
                        + " belong to training image " + i + " of label " + train.labels()[i]
                        + "; move the file away to compute the confidences again");
            }
            confidence[i] = Double.parseDouble(fields[2]);
        }
        return confidence;
    }

    private static Map<String, Object> summary(Settings s, int trainImages, int size, Map<String, Object> confidence,
                                               List<Map<String, Object>> runs) {
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("experiment", s.definition());
        summary.put("train_images", trainImages);
        summary.put("subset_images", size);
        summary.put("execution", s.execution().toMap());
        summary.put("confidence_training", confidence);
        summary.put("runs", runs);
        summary.put("mean_accuracy_random", mean(runs, Selection.RANDOM));
        summary.put("mean_accuracy_lowest", mean(runs, Selection.LOWEST));
        // What the experiment took so far, summed over its parts (including parts done by earlier invocations).
        double wall = seconds(confidence, "wall_seconds");
        for (Map<String, Object> run : runs) {
            for (Selection selection : Selection.values()) {
                @SuppressWarnings("unchecked")
                Map<String, Object> part = (Map<String, Object>) run.get(selection.key);
                wall += seconds(part, "wall_seconds");
            }
        }
        summary.put("total_wall_seconds", wall);
        return summary;
    }

    @SuppressWarnings("unchecked")
    private static double mean(List<Map<String, Object>> runs, Selection selection) {
        return runs.stream().mapToDouble(r -> ((Number) ((Map<String, Object>) r.get(selection.key)).get("accuracy"))
                .doubleValue()).average().orElse(Double.NaN);
    }

    @SuppressWarnings("unchecked")
    private static String table(Settings s, int trainImages, int size, List<Map<String, Object>> runs) {
        StringBuilder t = new StringBuilder(String.format(Locale.ROOT,
                "data selection: %d of %d training images per subset, %s epochs, test accuracy at TTA level %d%n"
                        + "| seed | random    | lowest confidence | difference |%n", size, trainImages,
                s.epochs(), s.ttaLevel()));
        for (Map<String, Object> run : runs) {
            double random = ((Number) ((Map<String, Object>) run.get("random")).get("accuracy")).doubleValue();
            double lowest = ((Number) ((Map<String, Object>) run.get("lowest")).get("accuracy")).doubleValue();
            t.append(String.format(Locale.ROOT, "| %4s | %9.4f | %17.4f | %+10.4f |%n", run.get("seed"), random,
                    lowest, lowest - random));
        }
        double random = mean(runs, Selection.RANDOM);
        double lowest = mean(runs, Selection.LOWEST);
        t.append(String.format(Locale.ROOT, "| mean | %9.4f | %17.4f | %+10.4f |", random, lowest, lowest - random));
        return t.toString();
    }

    private static double seconds(Map<String, Object> part, String key) {
        Object value = part == null ? null : part.get(key);
        return value instanceof Number n ? n.doubleValue() : 0;
    }

    private static double seconds(long nanos) {
        return nanos / 1e9;
    }
}

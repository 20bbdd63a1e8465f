package airbench.train.examples;

import airbench.train.Recipe;
import airbench.train.TrainedModel;
import airbench.train.Training;
import airbench.train.TrainingListener;
import airbench.train.cli.Command;
import airbench.train.run.Json;
import airbench.train.run.UsageException;
import airbench.data.CifarData;
import airbench.data.CifarDataset;
import airbench.data.CifarVariant;
import airbench.eval.Evaluation;
import airbench.model.CpuFeatures;
import airbench.model.ExecutionPlan;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
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
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * {@code select}: the data-selection experiment of docs/METHOD.md section 12, written against the library's
 * public API alone (it lives in its own package, so nothing package-private of {@code airbench.train} is
 * visible to it):
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
 */
public final class DataSelection {
    public static final String NAME = "select";
    private static final Logger LOG = LogManager.getLogger(DataSelection.class);
    static final String EXPERIMENT_FILE = "experiment.json";
    static final String CONFIDENCE_FILE = "confidence.json";
    static final String CONFIDENCES_CSV = "confidences.csv";
    static final String RESULT_FILE = "result.json";
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
     * The command line, validated.
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
    record Settings(long seed, int runs, double fraction, double epochs, double confidenceEpochs, int trainSubset,
                    int ttaLevel, ExecutionPlan execution, int threads, Optional<Path> dataDir, Path out) {

        /** What decides the results (not --runs, --threads, --data-dir or --out): must match to continue a folder. */
        Map<String, Object> definition() {
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

    private static final Command COMMAND = new Command(NAME, NAME + " [options]",
            "The data-selection experiment of docs/METHOD.md section 12: train airbench94 with label smoothing 0, take each"
                    + " training image's confidence, then train airbench94 on a random share and on the"
                    + " least-confident share of the images and compare their test accuracy. Options:",
            "--onednn on|off is accepted as by every command. Results: DIR/result.json.");

    private DataSelection() {}

    private static Options options() {
        Options options = new Options();
        String[][] defs = {
                {"runs", "N", "selection runs (a random and a lowest-confidence training each), seeds SEED.. [default: 1]"},
                {"seed", "SEED", "seed of the confidence training and of the first run [default: 0]"},
                {"fraction", "F", "share of the training images in each subset [default: 0.6]"},
                {"epochs", "E", "epochs of the selection trainings [default: 16]"},
                {"confidence-epochs", "E", "epochs of the label-smoothing-0 confidence training [default: recipe 94's, 9.9]"},
                {"train-subset", "N", "use only the first N training images, for a quick try [default: all]"},
                {"tta", "LEVEL", "test-time augmentation of the reported accuracies: 0, 1, 2 [default: recipe 94's, 2]"},
                {"out", "DIR", "the experiment's folder; give an existing one to continue it [default: runs/select-<date>-<time>]"},
                {"data-dir", "PATH", "CIFAR-10 archive or folder [default: $AIRBENCH_DATA, ~/.cache/airbench, ../shared/data, download]"},
                {"precision", "P", "convolution precision: auto, fp32 or bf16 [default: auto]"},
                {"compile", "MODE", "graph execution: auto, none or xla [default: auto]"},
                {"threads", "N", "TensorFlow intra-op threads [default: number of cores]"}};
        for (String[] def : defs) {
            options.addOption(Option.builder().longOpt(def[0]).hasArg().argName(def[1]).desc(def[2]).get());
        }
        return options;
    }

    static String help() {
        return COMMAND.help(options());
    }

    /** Exit code 0 done, 1 failed (data, divergence, I/O), 2 bad command line. */
    public static int run(String[] args) {
        return COMMAND.run(options(), args, line -> {
            run(settings(line));
            return 0;
        });
    }

    static Settings settings(CommandLine line) {
        if (!line.getArgList().isEmpty()) {
            throw new UsageException("unexpected argument '" + line.getArgList().get(0) + "'; see " + NAME + " --help");
        }
        long seed;
        try {
            seed = Long.parseLong(line.getOptionValue("seed", "0").trim());
        } catch (NumberFormatException e) {
            throw Command.badValue(line, "seed", "a whole number");
        }
        int runs = Command.wholeNumber(line, "runs", 1, 1);
        double fraction = Command.number(line, "fraction", 0.6);
        double epochs = Command.number(line, "epochs", 16);
        double confidenceEpochs = Command.number(line, "confidence-epochs", Recipe.AIRBENCH94.epochs());
        int subset = Command.wholeNumber(line, "train-subset", 0, 1);  // 0, the default: all
        int tta = Command.wholeNumber(line, "tta", Recipe.AIRBENCH94.ttaLevel(), 0);
        int threads = Command.wholeNumber(line, "threads", Runtime.getRuntime().availableProcessors(), 1);
        if (!(fraction > 0 && fraction <= 1)) {
            throw Command.badValue(line, "fraction", "a number in (0, 1]");
        }
        if (epochs <= 0) {
            throw Command.badValue(line, "epochs", "a positive number");
        }
        if (confidenceEpochs <= 0) {
            throw Command.badValue(line, "confidence-epochs", "a positive number");
        }
        if (tta > 2) {
            throw Command.badValue(line, "tta", "0, 1 or 2");
        }
        ExecutionPlan execution;
        try {
            execution = ExecutionPlan.resolve(line.getOptionValue("precision", ExecutionPlan.AUTO),
                    line.getOptionValue("compile", ExecutionPlan.AUTO), CpuFeatures.detect());
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        Path out = line.hasOption("out") ? Path.of(line.getOptionValue("out")) : Path.of("runs", NAME + "-"
                + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss", Locale.ROOT)));
        return new Settings(seed, runs, fraction, epochs, confidenceEpochs, subset, tta, execution, threads,
                Optional.ofNullable(line.getOptionValue("data-dir")).map(Path::of), out);
    }

    /** The whole experiment; every finished part is on disk before the next starts. */
    static void run(Settings s) {
        CifarData cifar = CifarData.load(CifarVariant.CIFAR10, s.dataDir());
        CifarDataset train = s.trainSubset() > 0
                ? cifar.train().first(Math.min(s.trainSubset(), cifar.train().size())) : cifar.train();
        int size = subsetSize(train.size(), s.fraction());
        int batch = Recipe.AIRBENCH94.optimizer().batchSize();
        if (size < batch) {
            // Checked now rather than by the first selection training, after the whole confidence training.
            throw new UsageException("a subset of " + size + " images (" + s.fraction() + " of " + train.size()
                    + ") is smaller than one batch of " + batch + "; use more training images or a larger --fraction");
        }
        prepareFolder(s);
        LOG.info("data selection: {} of {} training images per subset, {} run(s), results in {} (to continue after an"
                + " interruption, run the same command with --out {})", size, train.size(), s.runs(), s.out(), s.out());
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
                Json.write(s.out().resolve(CONFIDENCE_FILE), confidencePart);
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
                    Json.write(file, part);
                }
                run.put(selection.key, part);
            }
            runs.add(run);
            Json.write(s.out().resolve(RESULT_FILE), summary(s, train.size(), size, confidencePart, runs));
        }
        System.out.println(table(s, train.size(), size, runs));
        LOG.info("results in {}", s.out().resolve(RESULT_FILE));
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
        double[] confidence = new double[logits.length / classes];
        for (int i = 0; i < confidence.length; i++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int k = 0; k < classes; k++) {
                max = Math.max(max, logits[i * classes + k]);
            }
            double sum = 0;
            for (int k = 0; k < classes; k++) {
                sum += Math.exp(logits[i * classes + k] - max);
            }
            confidence[i] = -Math.log(sum);
        }
        return confidence;
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
                Map<String, Object> stored = Json.MAPPER.readValue(experiment.toFile(), Map.class);
                // Through JSON and back, so that numbers compare as the stored ones were read.
                @SuppressWarnings("unchecked")
                Map<String, Object> now = Json.MAPPER.readValue(Json.MAPPER.writeValueAsBytes(s.definition()),
                        Map.class);
                if (!stored.equals(now)) {
                    List<String> differences = new ArrayList<>();
                    now.forEach((key, value) -> {
                        if (!String.valueOf(value).equals(String.valueOf(stored.get(key)))) {
                            differences.add(key + " " + stored.get(key) + " there, " + value + " now");
                        }
                    });
                    throw new UsageException(s.out() + " holds another data-selection experiment (" + String.join("; ",
                            differences) + "); give the options it was started with to continue it, or another --out");
                }
                LOG.info("continuing the experiment in {}: finished parts are kept", s.out());
                return;
            }
            if (Files.isDirectory(s.out())) {
                try (var entries = Files.list(s.out())) {
                    if (entries.findAny().isPresent()) {
                        throw new UsageException(s.out() + " exists and is not a data-selection folder (no "
                                + EXPERIMENT_FILE + "); choose another --out");
                    }
                }
            }
            Files.createDirectories(s.out());
            Json.write(experiment, s.definition());
        } catch (IOException e) {
            throw new UncheckedIOException("could not prepare " + s.out() + ": " + e.getMessage(), e);
        }
    }

    /**
     * The finished part in {@code file}, or null if there is none yet. Every file here is a map, whose keys
     * {@link Json#MAPPER}'s snake_case naming leaves alone (it renames record fields): folders written before this
     * example used {@link Json} hold byte for byte what it writes now, and continue.
     */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> readPart(Path file) {
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try {
            return Json.MAPPER.readValue(file.toFile(), LinkedHashMap.class);
        } catch (IOException e) {
            throw new UncheckedIOException("could not read " + file + " (" + e.getMessage() + "); move it away to"
                    + " compute that part again", e);
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

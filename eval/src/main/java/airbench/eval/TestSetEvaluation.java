package airbench.eval;

import airbench.data.CifarDataset;
import airbench.data.CifarReader;
import airbench.data.DataLocator;
import airbench.data.DatasetChoice;
import airbench.data.Downloader;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
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

/**
 * An exported model scored on the test set of the dataset it was trained on (as its export records it), at every
 * TTA level up to a highest one: what the {@code evaluate} command prints ({@link #lines()}) and writes
 * ({@link #writeJson}, {@link #writePredictions}).
 *
 * @param model     the model folder
 * @param dataset   the dataset it was scored on
 * @param data      where that dataset's files were found
 * @param labels    the test set's labels
 * @param predicted every test image's predicted class at each level, {@code [level][image]}
 * @param results   the accuracy at each level, by level
 * @param seconds   the time the scoring took (without loading the model and the data)
 * @param selective with selective TTA ({@link SelectiveTta}, docs/METHOD.md section 14): its share, every image's
 *                  prediction and its accuracy, beside level 0 in {@code results}; else null
 */
public record TestSetEvaluation(Path model, DatasetChoice dataset, Path data, int[] labels, int[][] predicted,
                                Map<Integer, Evaluation> results, double seconds, Selective selective) {

    /**
     * Selective TTA's result.
     *
     * @param fraction  the share of the test images given the six views
     * @param predicted every test image's predicted class
     * @param result    the accuracy
     */
    public record Selective(double fraction, int[] predicted, Evaluation result) {}

    /**
     * Loads the model, then (once the model's dataset is known and agrees with {@code requested}) the test set, and
     * scores the model at every level from 0 to {@code maxLevel}.
     *
     * @param requested the dataset asked for, if any; refused if the model was trained on another
     * @param dataDir   the dataset's archive or folder, if given (otherwise as the trainer finds it)
     * @param fallbacks folders to look in before downloading (the build's shared copy)
     * @throws EvalException when the model cannot be loaded or was trained on another dataset than requested
     * @throws airbench.data.DataException when the test set cannot be found or read
     */
    public static TestSetEvaluation run(Path modelDir, Optional<DatasetChoice> requested, int maxLevel, int threads,
                                        Optional<Path> dataDir, List<Path> fallbacks) {
        return run(modelDir, requested, maxLevel, threads, dataDir, fallbacks, 0);
    }

    /**
     * The same, with selective TTA of {@code selectiveFraction} of the test images if it is above 0 (then
     * {@code maxLevel} must be 0: the plain accuracy is printed beside it, from the same forward passes).
     */
    public static TestSetEvaluation run(Path modelDir, Optional<DatasetChoice> requested, int maxLevel, int threads,
                                        Optional<Path> dataDir, List<Path> fallbacks, double selectiveFraction) {
        SelectiveTta tta = new SelectiveTta(selectiveFraction);
        if (selectiveFraction > 0 && maxLevel != 0) {
            throw new IllegalArgumentException("selective TTA gives the images it leaves their plain logits (level 0);"
                    + " got level " + maxLevel);
        }
        if (maxLevel < 0 || maxLevel > TestTimeAugmentation.MAX_LEVEL) {
            throw new IllegalArgumentException("TTA level " + maxLevel + " is not one of 0 to "
                    + TestTimeAugmentation.MAX_LEVEL);
        }
        try (ExportedModel model = ExportedModel.load(modelDir, threads)) {
            DatasetChoice dataset = model.datasetFor(requested);
            Path source = DataLocator.locate(dataset.variant(), dataDir, System.getenv(), DataLocator.defaultCache(),
                    fallbacks, Downloader.official());
            CifarDataset test = CifarReader.read(source, dataset).test();
            long start = System.nanoTime();
            float[] images = dataset.normalization().apply(test.images());
            int[][] predicted;
            Selective selective = null;
            if (selectiveFraction > 0) {
                SelectiveTta.Logits logits = tta.logits(model, images, test.size(), Evaluator.DEFAULT_BATCH);
                predicted = new int[][] {SelectiveTta.predictions(logits.plain(), model.numClasses())};
                int[] chosen = SelectiveTta.predictions(logits.selective(), model.numClasses());
                selective = new Selective(selectiveFraction, chosen, Evaluator.score(0, chosen, test.labels()));
            } else {
                predicted = new Evaluator(model, Evaluator.DEFAULT_BATCH)
                        .predictions(images, test.size(), model.numClasses(), maxLevel);
            }
            Map<Integer, Evaluation> results = new LinkedHashMap<>();
            for (int level = 0; level <= maxLevel; level++) {
                results.put(level, Evaluator.score(level, predicted[level], test.labels()));
            }
            return new TestSetEvaluation(modelDir, dataset, source, test.labels(), predicted, results,
                    (System.nanoTime() - start) / 1e9, selective);
        }
    }

    /** The report: the model, the data, the accuracy at each level, the time. */
    public List<String> lines() {
        List<String> lines = new ArrayList<>();
        lines.add("model: " + model);
        lines.add("data: " + dataset.displayName() + " test split, " + labels.length + " images, from " + data);
        for (Evaluation e : results.values()) {
            lines.add(String.format(Locale.ROOT, "test accuracy with TTA level %d: %.4f (%d/%d correct)",
                    e.ttaLevel(), e.accuracy(), e.correct(), e.total()));
        }
        if (selective != null) {
            Evaluation e = selective.result();
            lines.add(String.format(Locale.ROOT, "test accuracy with selective TTA (six views for the least confident"
                    + " %s): %.4f (%d/%d correct)", selective.fraction(), e.accuracy(), e.correct(), e.total()));
        }
        lines.add(String.format(Locale.ROOT, "evaluated in %.1f s", seconds));
        return lines;
    }

    /** The result as JSON: the model, the dataset, the data, and each level's accuracy and counts. */
    public void writeJson(Path file) {
        ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = mapper.createObjectNode();
        root.put("model", model.toAbsolutePath().normalize().toString());
        root.put("dataset", dataset.id());
        root.put("data", data.toAbsolutePath().normalize().toString());
        ArrayNode levels = root.putArray("results");
        for (Evaluation e : results.values()) {
            levels.addObject().put("tta_level", e.ttaLevel()).put("accuracy", e.accuracy())
                    .put("correct", e.correct()).put("total", e.total());
        }
        if (selective != null) {
            Evaluation e = selective.result();
            root.putObject("selective_tta").put("fraction", selective.fraction()).put("accuracy", e.accuracy())
                    .put("correct", e.correct()).put("total", e.total());
        }
        try {
            writeAtomically(file, mapper.writeValueAsString(root));
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException("could not encode the result of " + model + " as JSON", e);
        }
    }

    /** One CSV row per test image: {@code index,label,tta0[,tta1[,tta2]][,selective]}, class indices. */
    public void writePredictions(Path file) {
        StringBuilder csv = new StringBuilder("index,label");
        for (int level = 0; level < predicted.length; level++) {
            csv.append(",tta").append(level);
        }
        if (selective != null) {
            csv.append(",selective");
        }
        csv.append('\n');
        for (int i = 0; i < labels.length; i++) {
            csv.append(i).append(',').append(labels[i]);
            for (int[] atLevel : predicted) {
                csv.append(',').append(atLevel[i]);
            }
            if (selective != null) {
                csv.append(',').append(selective.predicted()[i]);
            }
            csv.append('\n');
        }
        writeAtomically(file, csv.toString());
    }

    /** Writes to a temporary sibling, then renames: a reader never sees half a file. */
    private static void writeAtomically(Path file, String text) {
        Path target = file.toAbsolutePath().normalize();
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        try {
            Files.createDirectories(target.getParent());
            Files.writeString(tmp, text);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("could not write " + target + ": " + e.getMessage(), e);
        }
    }
}

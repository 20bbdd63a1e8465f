package airbench.train;

import airbench.data.CifarDataset;
import airbench.data.DatasetChoice;
import airbench.data.Normalization;
import airbench.eval.Evaluation;
import airbench.eval.Evaluator;
import airbench.eval.LogitsFunction;
import airbench.eval.SelectiveTta;
import airbench.eval.Softmax;
import airbench.eval.TestTimeAugmentation;
import airbench.model.AirbenchModel;
import airbench.model.DatasetInfo;
import airbench.model.Precision;
import airbench.model.SavedModelExport;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A trained network, as {@link Training#run} returns it: logits and probabilities of images, accuracy at a
 * test-time augmentation level (docs/METHOD.md section 7), and export as a TensorFlow SavedModel. It holds the
 * TensorFlow session the network lives in: close it (try-with-resources) when done; every method of a closed
 * model throws {@link IllegalStateException}. Not for concurrent use from several threads.
 *
 * <p>Images are uint8 pixels, NHWC {@code [n, 32, 32, 3]} with interleaved RGB, as
 * {@link CifarDataset#images()} holds them; they are normalized here as in training and run in evaluation
 * mode (BatchNorm running statistics) in batches of 2,000, like the reference's evaluation.
 */
public final class TrainedModel implements AutoCloseable {
    private static final int IMAGE_BYTES = CifarDataset.IMAGE_BYTES;
    /** Images normalized at a time: bounds the float copy (50,000 training images would be 600 MB at once). */

    private final AirbenchModel model;
    private final Recipe recipe;
    private final long seed;
    private final Precision precision;
    private final DatasetChoice dataset;
    private final List<String> classNames;
    private final TrainingLoop.Progress progress;
    private boolean closed;

    TrainedModel(AirbenchModel model, Recipe recipe, long seed, Precision precision, DatasetChoice dataset,
                 List<String> classNames, TrainingLoop.Progress progress) {
        this.model = model;
        this.recipe = recipe;
        this.seed = seed;
        this.precision = precision;
        this.dataset = dataset;
        this.classNames = List.copyOf(classNames);
        this.progress = progress;
    }

    /** The recipe it was trained with. */
    public Recipe recipe() {
        return recipe;
    }

    /** The seed it was trained with. */
    public long seed() {
        return seed;
    }

    /** The dataset and labels it was trained on: its class count, names and normalization. */
    public DatasetChoice dataset() {
        return dataset;
    }

    /** Names of its classes, in label order (those of the training set). */
    public List<String> classNames() {
        return classNames;
    }

    public int numClasses() {
        return recipe.network().numClasses();
    }

    /** Optimizer steps trained: epochs x (training images / batch), rounded up. */
    public int steps() {
        return progress.steps;
    }

    /** One record per epoch (the last one possibly partial). */
    public List<EpochRecord> history() {
        return List.copyOf(progress.history);
    }

    /**
     * Seconds of training as the reference counts them: the whitening computation and the optimizer steps
     * (per-epoch evaluation excluded). The command line's {@code train_seconds} adds the final TTA evaluation.
     */
    public double trainSeconds() {
        return progress.trainSeconds;
    }

    /**
     * Logits [n, classes] (row-major) of {@code images} at test-time augmentation level {@code ttaLevel}:
     * 0 the image alone, 1 with its mirror, 2 also the two one-pixel shifts (six views).
     *
     * @param images uint8 NHWC [n, 32, 32, 3], n at least 1
     */
    public float[] logits(byte[] images, int ttaLevel) {
        requireOpen();
        TestTimeAugmentation.checkLevel(ttaLevel);
        int n = imageCount(images);
        int classes = numClasses();
        float[] logits = new float[n * classes];
        for (int first = 0; first < n; first += recipe.evalBatch()) {
            int count = Math.min(recipe.evalBatch(), n - first);
            float[] batch = normalization().apply(images, first * IMAGE_BYTES, count * IMAGE_BYTES);
            float[] batchLogits = TestTimeAugmentation.logits(model::logits, batch, count, ttaLevel);
            System.arraycopy(batchLogits, 0, logits, first * classes, count * classes);
        }
        return logits;
    }

    /** Softmax of {@link #logits}: [n, classes], each row summing to 1 (computed in double, then rounded). */
    public float[] probabilities(byte[] images, int ttaLevel) {
        return Softmax.probabilities(logits(images, ttaLevel), numClasses());
    }

    /** Accuracy on {@code data} (its images against its labels) at {@code ttaLevel}. */
    public Evaluation evaluate(CifarDataset data, int ttaLevel) {
        TestTimeAugmentation.checkLevel(ttaLevel);
        return evaluateUpTo(data, ttaLevel).get(ttaLevel);
    }

    /**
     * Accuracy at every level from 0 to {@code maxLevel}, by level, for the cost of {@code maxLevel} alone
     * (the views of the highest level include those of the lower ones).
     */
    public Map<Integer, Evaluation> evaluateUpTo(CifarDataset data, int maxLevel) {
        int[][] predicted = predictionsUpTo(data, maxLevel);
        Map<Integer, Evaluation> byLevel = new LinkedHashMap<>();
        for (int level = 0; level <= maxLevel; level++) {
            byLevel.put(level, Evaluator.score(level, predicted[level], data.labels()));
        }
        return byLevel;
    }

    /**
     * Selective TTA on {@code data} (docs/METHOD.md section 14): every image's plain logits, and for the least
     * confident {@code fraction} of them the equal mean of six views, in evaluation batches of the recipe's size.
     *
     * @return the plain and the combined logits [n, classes] and the images that got the six views
     */
    public SelectiveTta.Logits selectiveTta(CifarDataset data, double fraction) {
        return selectiveTta(data, fraction, model::logits);
    }

    /**
     * {@link #selectiveTta(CifarDataset, double)} as the final evaluation of a run that {@code stop} can end:
     * see {@link #predictionsUpTo(CifarDataset, int, StopSignal)}.
     */
    public SelectiveTta.Logits selectiveTta(CifarDataset data, double fraction, StopSignal stop) {
        return selectiveTta(data, fraction, finalEvaluationUnless(stop));
    }

    private SelectiveTta.Logits selectiveTta(CifarDataset data, double fraction, LogitsFunction logits) {
        requireOpen();
        SelectiveTta tta = new SelectiveTta(fraction);
        checkDataset(data);
        return tta.logits(logits, normalization().apply(data.images()), data.size(), recipe.evalBatch());
    }

    /** Accuracy on {@code data} with selective TTA of {@code fraction} of its images ({@link #selectiveTta}). */
    public Evaluation evaluateSelective(CifarDataset data, double fraction) {
        SelectiveTta.Logits logits = selectiveTta(data, fraction);
        return Evaluator.score(0, SelectiveTta.predictions(logits.selective(), numClasses()), data.labels());
    }

    private void checkDataset(CifarDataset data) {
        if (data.dataset() != dataset) {
            throw new IllegalArgumentException("cannot evaluate on " + data.dataset().displayName() + " ("
                    + data.numClasses() + " classes): the network was trained on " + dataset.displayName() + " ("
                    + numClasses() + " outputs); evaluate it on data of " + dataset.options());
        }
    }

    /** The predicted class of every image of {@code data} at every level from 0 to {@code maxLevel}. */
    public int[][] predictionsUpTo(CifarDataset data, int maxLevel) {
        return predictionsUpTo(data, maxLevel, model::logits);
    }

    /**
     * {@link #predictionsUpTo(CifarDataset, int)} as the final evaluation of a run that {@code stop} can end (the
     * command line's): once {@code stop} is requested the evaluation ends at its next batch, with the
     * {@link TrainingStoppedException} of a training whose steps are all done. Its checkpoint is the one of the last
     * step (before the final slow copy), if the training had a store: the continuation takes the copy again and
     * evaluates the same weights.
     */
    public int[][] predictionsUpTo(CifarDataset data, int maxLevel, StopSignal stop) {
        return predictionsUpTo(data, maxLevel, finalEvaluationUnless(stop));
    }

    private LogitsFunction finalEvaluationUnless(StopSignal stop) {
        LogitsFunction unlessStopped = TrainingLoop.unlessStopped(model::logits, stop);
        return (images, count) -> {
            try {
                return unlessStopped.logits(images, count);
            } catch (TrainingLoop.EvaluationStopped e) {
                Path kept = progress.keptAtThisStep().orElse(null);
                throw TrainingStoppedException.afterStep(stop.reason().orElse("a stop request"), seed,
                        progress.steps, progress.steps, kept, "every step done, its final evaluation left to the"
                                + " continuation");
            }
        };
    }

    private int[][] predictionsUpTo(CifarDataset data, int maxLevel, LogitsFunction logits) {
        requireOpen();
        TestTimeAugmentation.checkLevel(maxLevel);
        if (data.dataset() != dataset) {
            throw new IllegalArgumentException("cannot evaluate on " + data.dataset().displayName() + " ("
                    + data.numClasses() + " classes): the network was trained on " + dataset.displayName() + " ("
                    + numClasses() + " outputs); evaluate it on data of " + dataset.options());
        }
        int n = data.size();
        int[][] predicted = new int[maxLevel + 1][n];
        Evaluator evaluator = new Evaluator(logits, recipe.evalBatch());
        int chunkImages = 5 * recipe.evalBatch();
        // In chunks of whole evaluation batches, so the batches (and logits) are those of one call on everything.
        for (int first = 0; first < n; first += chunkImages) {
            int count = Math.min(chunkImages, n - first);
            float[] chunk = normalization().apply(data.images(), first * IMAGE_BYTES, count * IMAGE_BYTES);
            int[][] chunkPredicted = evaluator.predictions(chunk, count, numClasses(), maxLevel);
            for (int level = 0; level <= maxLevel; level++) {
                System.arraycopy(chunkPredicted[level], 0, predicted[level], first, count);
            }
        }
        return predicted;
    }

    /**
     * Writes the network as a TensorFlow SavedModel into {@code dir} (signatures {@code serving_default},
     * {@code tta} and {@code normalized}; see docs/export.md), atomically.
     *
     * @param overwrite replace an existing export at {@code dir}; without it an existing folder is refused
     * @throws java.io.UncheckedIOException naming the folder when it exists or cannot be written
     */
    public void export(Path dir, boolean overwrite) {
        requireOpen();
        Normalization normalization = normalization();
        SavedModelExport.export(recipe.network(), precision, model.networkState(),
                new DatasetInfo(dataset.id(), classNames, normalization.mean(), normalization.std()), dir, overwrite);
    }

    /** The network's variables by name (what {@link #export} writes). */
    public Map<String, float[]> networkState() {
        requireOpen();
        return model.networkState();
    }

    private Normalization normalization() {
        return dataset.normalization();
    }

    /** Steps, timed seconds, resumes and epoch records of the training that made this model. */
    public TrainingProgress progress() {
        return progress.snapshot();
    }

    /** Frees the TensorFlow session and graph; closing again does nothing. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            model.close();
        }
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("this TrainedModel (recipe " + recipe.name() + ", seed " + seed
                    + ") is closed: its TensorFlow session is gone. Use it before close(), e.g. inside"
                    + " try-with-resources, or export it and load the export.");
        }
    }

    private static int imageCount(byte[] images) {
        if (images.length == 0 || images.length % IMAGE_BYTES != 0) {
            throw new IllegalArgumentException(images.length + " bytes are not a whole number of 32x32x3 uint8 images"
                    + " (" + IMAGE_BYTES + " bytes each, at least one)");
        }
        return images.length / IMAGE_BYTES;
    }

    @Override
    public String toString() {
        return "TrainedModel[recipe " + recipe.name() + ", seed " + seed + ", " + progress.steps + " steps"
                + (closed ? ", closed" : "") + "]";
    }
}

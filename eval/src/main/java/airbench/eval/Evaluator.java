package airbench.eval;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Test accuracy of a model with test-time augmentation, in batches (the reference
 * uses 2,000: large enough to keep the model busy, small enough to bound memory).
 * Arg-max ties go to the lowest class index.
 */
public final class Evaluator {
    /** The reference's evaluation batch size. */
    public static final int DEFAULT_BATCH = 2000;
    private static final Logger LOG = LogManager.getLogger(Evaluator.class);
    private static final int IMAGE_VALUES = 32 * 32 * 3;

    private final LogitsFunction model;
    private final int batchSize;

    /** An evaluator with the reference batch size of 2,000. */
    public Evaluator(LogitsFunction model) {
        this(model, DEFAULT_BATCH);
    }

    public Evaluator(LogitsFunction model, int batchSize) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("evaluation batch size must be positive, got " + batchSize);
        }
        this.model = Objects.requireNonNull(model, "model");
        this.batchSize = batchSize;
    }

    /**
     * Accuracy at one level.
     *
     * @param normalizedImages float NHWC [labels.length, 32, 32, 3], normalized and not augmented
     */
    public Evaluation evaluate(float[] normalizedImages, int[] labels, int numClasses, int ttaLevel) {
        TestTimeAugmentation.checkLevel(ttaLevel);
        return evaluateUpTo(normalizedImages, labels, numClasses, ttaLevel).get(ttaLevel);
    }

    /**
     * Accuracy at each of {@code levels}, in the order given. The views of the highest level are
     * computed once and every lower level is derived from them (see
     * {@link TestTimeAugmentation#logitsUpToLevel}), so levels 0, 1 and 2 together cost six model
     * calls per batch, as level 2 alone does.
     */
    public Map<Integer, Evaluation> evaluateLevels(float[] normalizedImages, int[] labels, int numClasses,
                                                   int... levels) {
        if (levels.length == 0) {
            throw new IllegalArgumentException("no TTA level requested; valid levels: 0, 1, 2");
        }
        int max = 0;
        for (int level : levels) {
            TestTimeAugmentation.checkLevel(level);
            max = Math.max(max, level);
        }
        Map<Integer, Evaluation> all = evaluateUpTo(normalizedImages, labels, numClasses, max);
        Map<Integer, Evaluation> chosen = new LinkedHashMap<>();
        for (int level : levels) {
            chosen.put(level, all.get(level));
        }
        return Collections.unmodifiableMap(chosen);
    }

    /** Evaluations of every level from 0 to {@code maxLevel}. */
    private Map<Integer, Evaluation> evaluateUpTo(float[] images, int[] labels, int numClasses, int maxLevel) {
        checkInputs(images, labels, numClasses);
        long start = System.nanoTime();
        int[][] predicted = predictUpTo(images, labels.length, numClasses, maxLevel);
        Map<Integer, Evaluation> result = new LinkedHashMap<>();
        for (int level = 0; level <= maxLevel; level++) {
            result.put(level, score(level, predicted[level], labels));
        }
        LOG.debug("evaluated {} images up to TTA level {} in {} ms: {}", labels.length, maxLevel,
                (System.nanoTime() - start) / 1_000_000, result.values());
        return result;
    }

    /**
     * The arg-max class of every image at every TTA level from 0 to {@code maxLevel}: element
     * {@code [level][i]} is image {@code i}'s prediction at {@code level}. What the accuracies are
     * counted from, for users who need per-image results (error analysis, data selection).
     */
    public int[][] predictions(float[] normalizedImages, int count, int numClasses, int maxLevel) {
        TestTimeAugmentation.checkLevel(maxLevel);
        checkInputs(normalizedImages, new int[count], numClasses);
        return predictUpTo(normalizedImages, count, numClasses, maxLevel);
    }

    /** The evaluation at {@code ttaLevel} of predictions against labels. */
    public static Evaluation score(int ttaLevel, int[] predicted, int[] labels) {
        if (predicted.length != labels.length) {
            throw new IllegalArgumentException(predicted.length + " predictions for " + labels.length + " labels");
        }
        int correct = 0;
        for (int i = 0; i < labels.length; i++) {
            correct += predicted[i] == labels[i] ? 1 : 0;
        }
        return new Evaluation(ttaLevel, correct, labels.length);
    }

    private int[][] predictUpTo(float[] images, int n, int numClasses, int maxLevel) {
        int[][] predicted = new int[maxLevel + 1][n];
        for (int first = 0; first < n; first += batchSize) {
            int count = Math.min(batchSize, n - first);
            float[] batch = count == n ? images
                    : Arrays.copyOfRange(images, first * IMAGE_VALUES, (first + count) * IMAGE_VALUES);
            float[][] byLevel = TestTimeAugmentation.logitsUpToLevel(model, batch, count, maxLevel);
            for (int level = 0; level <= maxLevel; level++) {
                if (byLevel[level].length != count * numClasses) {
                    throw new IllegalStateException("the model returned " + byLevel[level].length + " logits for "
                            + count + " images of " + numClasses + " classes");
                }
                for (int i = 0; i < count; i++) {
                    predicted[level][first + i] = argMax(byLevel[level], i, numClasses);
                }
            }
        }
        return predicted;
    }

    private static void checkInputs(float[] images, int[] labels, int numClasses) {
        if (numClasses < 1) {
            throw new IllegalArgumentException("numClasses must be positive, got " + numClasses);
        }
        if (labels.length == 0) {
            throw new IllegalArgumentException("nothing to evaluate: no labels");
        }
        if (images.length != (long) labels.length * IMAGE_VALUES) {
            throw new IllegalArgumentException(labels.length + " labels need " + (long) labels.length * IMAGE_VALUES
                    + " image values (32x32x3 each), got " + images.length);
        }
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= numClasses) {
                throw new IllegalArgumentException("label " + labels[i] + " of image " + i + " is outside 0.."
                        + (numClasses - 1));
            }
        }
    }

    /** Index of the largest value of row {@code row} of a [rows, numClasses] array; the lowest index on ties. */
    public static int argMax(float[] logits, int row, int numClasses) {
        int base = row * numClasses;
        int best = 0;
        for (int k = 1; k < numClasses; k++) {
            if (logits[base + k] > logits[base + best]) {
                best = k;
            }
        }
        return best;
    }
}

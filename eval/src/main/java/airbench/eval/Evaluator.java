package airbench.eval;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Test accuracy of a model with test-time augmentation, in batches (the
 * reference uses 2,000). Arg-max ties go to the lowest class index.
 */
public final class Evaluator {
    public static final int DEFAULT_BATCH = 2000;
    private static final int IMAGE_VALUES = 32 * 32 * 3;

    private final LogitsFunction model;
    private final int batchSize;

    public Evaluator(LogitsFunction model, int batchSize) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("evaluation batch size must be positive, got " + batchSize);
        }
        this.model = model;
        this.batchSize = batchSize;
    }

    /** Accuracy at one level. */
    public Evaluation evaluate(float[] normalizedImages, int[] labels, int numClasses, int ttaLevel) {
        TestTimeAugmentation.checkLevel(ttaLevel);
        return evaluateRange(normalizedImages, labels, numClasses, ttaLevel, ttaLevel).get(ttaLevel);
    }

    /** Accuracy at each of {@code levels}, computing the views of the highest one once. */
    public Map<Integer, Evaluation> evaluateLevels(float[] normalizedImages, int[] labels, int numClasses,
                                                   int... levels) {
        int max = 0;
        for (int level : levels) {
            TestTimeAugmentation.checkLevel(level);
            max = Math.max(max, level);
        }
        Map<Integer, Evaluation> all = evaluateRange(normalizedImages, labels, numClasses, 0, max);
        Map<Integer, Evaluation> chosen = new LinkedHashMap<>();
        for (int level : levels) {
            chosen.put(level, all.get(level));
        }
        return chosen;
    }

    private Map<Integer, Evaluation> evaluateRange(float[] images, int[] labels, int numClasses, int min, int max) {
        int n = labels.length;
        if (images.length != (long) n * IMAGE_VALUES) {
            throw new IllegalArgumentException(labels.length + " labels need " + (long) n * IMAGE_VALUES
                    + " image values, got " + images.length);
        }
        int[] correct = new int[max + 1];
        for (int start = 0; start < n; start += batchSize) {
            int count = Math.min(batchSize, n - start);
            float[] batch = java.util.Arrays.copyOfRange(images, start * IMAGE_VALUES, (start + count) * IMAGE_VALUES);
            float[][] levels = TestTimeAugmentation.allLevels(model, batch, count, max);
            for (int level = min; level <= max; level++) {
                correct[level] += countCorrect(levels[level], labels, start, count, numClasses);
            }
        }
        Map<Integer, Evaluation> result = new LinkedHashMap<>();
        for (int level = min; level <= max; level++) {
            result.put(level, new Evaluation(level, correct[level], n));
        }
        return result;
    }

    /** Index of the largest value of row {@code row}; the first one on ties. */
    public static int argMax(float[] logits, int row, int numClasses) {
        int best = 0;
        for (int k = 1; k < numClasses; k++) {
            if (logits[row * numClasses + k] > logits[row * numClasses + best]) {
                best = k;
            }
        }
        return best;
    }

    private static int countCorrect(float[] logits, int[] labels, int offset, int count, int numClasses) {
        if (logits.length != count * numClasses) {
            throw new IllegalStateException("the model returned " + logits.length + " logits for " + count
                    + " images of " + numClasses + " classes");
        }
        int correct = 0;
        for (int i = 0; i < count; i++) {
            if (argMax(logits, i, numClasses) == labels[offset + i]) {
                correct++;
            }
        }
        return correct;
    }
}

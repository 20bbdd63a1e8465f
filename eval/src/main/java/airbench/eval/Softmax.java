package airbench.eval;

/**
 * Softmax arithmetic over rows of logits, in one place: probabilities, and the largest log-probability (a
 * prediction's confidence). Computed in double after subtracting each row's maximum, so that any finite logits give
 * finite results.
 */
public final class Softmax {
    private Softmax() {}

    /** Each row's softmax: {@code exp(l_k - max) / sum_j exp(l_j - max)}, [n, classes] row-major, rows summing to 1. */
    public static float[] probabilities(float[] logits, int classes) {
        checkShape(logits, classes);
        float[] probabilities = new float[logits.length];
        for (int base = 0; base < logits.length; base += classes) {
            double max = rowMax(logits, base, classes);
            double sum = expSum(logits, base, classes, max);
            for (int k = 0; k < classes; k++) {
                probabilities[base + k] = (float) (Math.exp(logits[base + k] - max) / sum);
            }
        }
        return probabilities;
    }

    /**
     * Each row's largest log-softmax value, {@code max_k l_k - log sum_j exp(l_j)}, computed as
     * {@code -log sum_j exp(l_j - max_k l_k)}: 0 for a certain prediction, {@code -log classes} for a uniform one.
     */
    public static double[] largestLogProbability(float[] logits, int classes) {
        checkShape(logits, classes);
        double[] largest = new double[logits.length / classes];
        for (int row = 0; row < largest.length; row++) {
            int base = row * classes;
            largest[row] = -Math.log(expSum(logits, base, classes, rowMax(logits, base, classes)));
        }
        return largest;
    }

    private static double rowMax(float[] logits, int base, int classes) {
        double max = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < classes; k++) {
            max = Math.max(max, logits[base + k]);
        }
        return max;
    }

    private static double expSum(float[] logits, int base, int classes, double max) {
        double sum = 0;
        for (int k = 0; k < classes; k++) {
            sum += Math.exp(logits[base + k] - max);
        }
        return sum;
    }

    private static void checkShape(float[] logits, int classes) {
        if (classes < 1 || logits.length % classes != 0) {
            throw new IllegalArgumentException(logits.length + " logits are not rows of " + classes + " classes");
        }
    }
}

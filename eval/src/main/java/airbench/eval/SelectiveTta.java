package airbench.eval;

import airbench.data.ImageOps;
import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

/**
 * Selective test-time augmentation, the hiverge record's final evaluation (docs/METHOD.md section 14): every image
 * gets its plain logits; the {@code floor(n * fraction)} images whose plain prediction is least confident (the lowest
 * largest softmax probability, ties to the lower index) get instead the mean, 1/6 each, of the logits of six views:
 * the image, its windows shifted one pixel up-left and down-right in its 1-pixel reflect padding, and the mirrors of
 * these three. The other images keep their plain logits. With a fraction of 25% that is 1 + 0.25 x 6 = 2.5 forward
 * passes per image instead of level 2's 6.
 *
 * <p>The selection is over all the images given, not per evaluation batch, so the result does not depend on the
 * batch size.
 *
 * @param fraction share of the images that get the six views, in [0, 1]
 */
public record SelectiveTta(double fraction) {
    /** The record's share: a quarter of the images. */
    public static final double DEFAULT_FRACTION = 0.25;
    private static final int SIZE = 32;
    private static final int CHANNELS = 3;
    private static final int IMAGE_VALUES = SIZE * SIZE * CHANNELS;

    /**
     * The logits of one evaluation.
     *
     * @param plain     every image's plain logits, [n, classes]
     * @param selective the combined logits: plain, but the six-view mean for the selected images, [n, classes]
     * @param selected  the images given the six views, ascending
     */
    public record Logits(float[] plain, float[] selective, int[] selected) {}

    public SelectiveTta {
        if (!(fraction >= 0 && fraction <= 1)) {
            throw new IllegalArgumentException("the selective TTA fraction must be in [0, 1], got " + fraction);
        }
    }

    /** How many of {@code n} images get the six views: {@code floor(n * fraction)}. */
    public int selectedCount(int n) {
        return (int) Math.floor(n * fraction);
    }

    /**
     * Plain logits of {@code count} images in batches of {@code batchSize}, then the six-view mean of the least
     * confident, in batches of {@code batchSize} as well.
     *
     * @param images normalized float NHWC [count, 32, 32, 3]
     */
    public Logits logits(LogitsFunction model, float[] images, int count, int batchSize) {
        if (count < 1 || images.length != (long) count * IMAGE_VALUES) {
            throw new IllegalArgumentException(count + " images of 32x32x3 need " + (long) count * IMAGE_VALUES
                    + " values, got " + images.length);
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("evaluation batch size must be positive, got " + batchSize);
        }
        float[] plain = null;
        int classes = 0;
        for (int first = 0; first < count; first += batchSize) {
            int n = Math.min(batchSize, count - first);
            float[] batch = model.logits(Arrays.copyOfRange(images, first * IMAGE_VALUES, (first + n) * IMAGE_VALUES), n);
            if (plain == null) {
                classes = checkedClasses(batch, n);
                plain = new float[count * classes];
            } else if (batch.length != n * classes) {
                throw new IllegalStateException("the model returned " + batch.length + " logits for " + n
                        + " images of " + classes + " classes");
            }
            System.arraycopy(batch, 0, plain, first * classes, batch.length);
        }
        int[] selected = leastConfident(plain, classes, selectedCount(count));
        float[] combined = plain.clone();
        for (int first = 0; first < selected.length; first += batchSize) {
            int n = Math.min(batchSize, selected.length - first);
            float[] batch = new float[n * IMAGE_VALUES];
            for (int j = 0; j < n; j++) {
                System.arraycopy(images, selected[first + j] * IMAGE_VALUES, batch, j * IMAGE_VALUES, IMAGE_VALUES);
            }
            float[] mean = sixViewMean(model, batch, n);
            for (int j = 0; j < n; j++) {
                System.arraycopy(mean, j * classes, combined, selected[first + j] * classes, classes);
            }
        }
        return new Logits(plain, combined, selected);
    }

    /**
     * The {@code k} rows of {@code logits} [n, classes] with the lowest largest softmax probability (ties: the lower
     * index first), ascending by index.
     */
    public static int[] leastConfident(float[] logits, int classes, int k) {
        double[] confidence = Softmax.largestLogProbability(logits, classes);
        if (k < 0 || k > confidence.length) {
            throw new IllegalArgumentException("cannot select " + k + " of " + confidence.length + " images");
        }
        return IntStream.range(0, confidence.length).boxed()
                .sorted(Comparator.<Integer>comparingDouble(i -> confidence[i]).thenComparingInt(i -> i))
                .limit(k).mapToInt(Integer::intValue).sorted().toArray();
    }

    /**
     * The mean (1/6 each, summed in this order in float, then divided by 6) of the logits of the six views of
     * {@code count} images: the image, up-left, down-right, then the mirrors of these three.
     */
    public static float[] sixViewMean(LogitsFunction model, float[] images, int count) {
        float[] padded = ImageOps.reflectPad(images, count, SIZE, SIZE, CHANNELS, 1);
        float[] upLeft = ImageOps.crop(padded, count, SIZE + 2, SIZE + 2, CHANNELS, 0, 0, SIZE, SIZE);
        float[] downRight = ImageOps.crop(padded, count, SIZE + 2, SIZE + 2, CHANNELS, 2, 2, SIZE, SIZE);
        float[][] views = {images, upLeft, downRight, null, null, null};
        for (int v = 0; v < 3; v++) {
            views[v + 3] = ImageOps.mirror(views[v], count, SIZE, SIZE, CHANNELS);
        }
        float[] sum = null;
        for (float[] view : views) {
            float[] logits = model.logits(view, count);
            if (sum == null) {
                checkedClasses(logits, count);
                sum = logits.clone();
            } else {
                if (logits.length != sum.length) {
                    throw new IllegalStateException("the model returned " + logits.length + " logits for a view of "
                            + count + " images; the first view had " + sum.length);
                }
                for (int i = 0; i < sum.length; i++) {
                    sum[i] += logits[i];
                }
            }
        }
        for (int i = 0; i < sum.length; i++) {
            sum[i] /= 6f;
        }
        return sum;
    }

    private static int checkedClasses(float[] logits, int count) {
        if (logits == null || logits.length == 0 || logits.length % count != 0) {
            throw new IllegalStateException("the model returned " + (logits == null ? "null" : logits.length
                    + " logits") + " for " + count + " images");
        }
        return logits.length / count;
    }

    /** The arg-max class of every row of {@code logits} [n, classes] (ties to the lowest class). */
    public static int[] predictions(float[] logits, int classes) {
        int[] predicted = new int[logits.length / classes];
        for (int i = 0; i < predicted.length; i++) {
            predicted[i] = Evaluator.argMax(logits, i, classes);
        }
        return predicted;
    }
}

package airbench.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Test-time augmentation and evaluation against views and combined logits the test
 * builds itself, with its own index arithmetic rather than ImageOps.
 */
class TestTimeAugmentationTest {
    private static final int SIZE = 32;
    private static final int IMAGE_VALUES = SIZE * SIZE * 3;

    /** REFLECT padding by one pixel: coordinate -1 reads 1 and 32 reads 30. */
    private static int reflect(int p) {
        return p < 0 ? -p : p >= SIZE ? 2 * (SIZE - 1) - p : p;
    }

    private interface CoordinateMap {
        int source(int coordinate);
    }

    /** A view of one image whose pixel (y, x) is the original pixel (rows(y), columns(x)). */
    private static float[] view(float[] image, CoordinateMap rows, CoordinateMap columns) {
        float[] out = new float[IMAGE_VALUES];
        for (int y = 0; y < SIZE; y++) {
            for (int x = 0; x < SIZE; x++) {
                for (int c = 0; c < 3; c++) {
                    out[(y * SIZE + x) * 3 + c] = image[(rows.source(y) * SIZE + columns.source(x)) * 3 + c];
                }
            }
        }
        return out;
    }

    /**
     * The six views of docs/METHOD.md section 7, in the order plain, mirror, up-left, mirror of up-left,
     * down-right, mirror of down-right. The up-left window is padded[0:32, 0:32], so its pixel
     * (y, x) is the original (y - 1, x - 1); the down-right window padded[2:34, 2:34] reads (y + 1, x + 1).
     */
    private static List<float[]> sixViews(float[] image) {
        return List.of(
                view(image, y -> y, x -> x),
                view(image, y -> y, x -> SIZE - 1 - x),
                view(image, y -> reflect(y - 1), x -> reflect(x - 1)),
                view(image, y -> reflect(y - 1), x -> reflect(SIZE - 1 - x - 1)),
                view(image, y -> reflect(y + 1), x -> reflect(x + 1)),
                view(image, y -> reflect(y + 1), x -> reflect(SIZE - 1 - x + 1)));
    }

    private static float[] randomImages(int count, long seed) {
        Random random = new Random(seed);
        float[] images = new float[count * IMAGE_VALUES];
        for (int i = 0; i < images.length; i++) {
            images[i] = (float) random.nextGaussian();
        }
        return images;
    }

    /**
     * A fake model for one image that answers with the one-hot vector of the view it is shown, so the
     * combined logits are exactly the weights the augmentation gives each view.
     */
    private static LogitsFunction viewIdentifier(List<float[]> views) {
        return (images, count) -> {
            assertEquals(1, count);
            for (int v = 0; v < views.size(); v++) {
                if (Arrays.equals(views.get(v), images)) {
                    float[] oneHot = new float[views.size()];
                    oneHot[v] = 1;
                    return oneHot;
                }
            }
            throw new AssertionError("the model was shown a view that is none of the six of the method");
        };
    }

    @Test
    void eachLevelWeighsTheSixViewsAsTheMethodSays() {
        float[] image = randomImages(1, 11);
        LogitsFunction model = viewIdentifier(sixViews(image));
        assertArrayEquals(new float[] {1, 0, 0, 0, 0, 0}, TestTimeAugmentation.logits(model, image, 1, 0));
        assertArrayEquals(new float[] {0.5f, 0.5f, 0, 0, 0, 0}, TestTimeAugmentation.logits(model, image, 1, 1));
        assertArrayEquals(new float[] {0.25f, 0.25f, 0.125f, 0.125f, 0.125f, 0.125f},
                TestTimeAugmentation.logits(model, image, 1, 2));
    }

    @Test
    void levelTwoShowsTheModelExactlyTheSixViewsOnce() {
        float[] images = randomImages(3, 12);
        List<float[]> seen = new ArrayList<>();
        LogitsFunction recorder = (batch, count) -> {
            seen.add(batch.clone());
            return new float[count * 10];
        };
        TestTimeAugmentation.logits(recorder, images, 3, 2);

        List<List<float[]>> expectedPerImage = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            expectedPerImage.add(sixViews(Arrays.copyOfRange(images, i * IMAGE_VALUES, (i + 1) * IMAGE_VALUES)));
        }
        assertEquals(6, seen.size(), "model calls for level 2");
        boolean[] matched = new boolean[6];
        for (float[] batch : seen) {
            boolean found = false;
            for (int v = 0; v < 6 && !found; v++) {
                boolean all = true;
                for (int i = 0; i < 3; i++) {
                    all &= Arrays.equals(expectedPerImage.get(i).get(v),
                            Arrays.copyOfRange(batch, i * IMAGE_VALUES, (i + 1) * IMAGE_VALUES));
                }
                if (all && !matched[v]) {
                    matched[v] = found = true;
                }
            }
            assertTrue(found, "a model call was not one of the six expected views (or repeated one)");
        }
    }

    @Test
    void handMadeImageGivesTheHandComputedLogits() {
        // Pixel (y, x, c) = 1000 y + x^2 + c / 4; the model reads three pixels:
        // logit 0 = (0, 0, 0), logit 1 = (5, 2, 1), logit 2 = (31, 30, 2).
        float[] image = new float[IMAGE_VALUES];
        for (int y = 0; y < SIZE; y++) {
            for (int x = 0; x < SIZE; x++) {
                for (int c = 0; c < 3; c++) {
                    image[(y * SIZE + x) * 3 + c] = 1000 * y + x * x + c / 4f;
                }
            }
        }
        LogitsFunction threePixels = (images, count) -> new float[] {
            images[0], images[(5 * SIZE + 2) * 3 + 1], images[(31 * SIZE + 30) * 3 + 2]};
        // Values of the three read pixels in each view (worked out by hand, see sixViews for the maps):
        //   plain (0, 5004.25, 31900.5), mirror (961, 5841.25, 31001.5),
        //   up-left (1001, 4001.25, 30841.5), its mirror (1900, 4784.25, 30000.5),
        //   down-right (1001, 6009.25, 30961.5), its mirror (1900, 6900.25, 30004.5).
        assertArrayEquals(new float[] {0, 5004.25f, 31900.5f}, TestTimeAugmentation.logits(threePixels, image, 1, 0));
        assertArrayEquals(new float[] {480.5f, 5422.75f, 31451f}, TestTimeAugmentation.logits(threePixels, image, 1, 1));
        assertArrayEquals(new float[] {965.5f, 5423.25f, 30951.5f},
                TestTimeAugmentation.logits(threePixels, image, 1, 2));
    }

    @Test
    void logitsUpToLevelMatchesEachLevelComputedAlone() {
        float[] images = randomImages(4, 13);
        LogitsFunction linear = linearModel(5, 14);
        float[][] all = TestTimeAugmentation.logitsUpToLevel(linear, images, 4, 2);
        assertEquals(3, all.length);
        for (int level = 0; level <= 2; level++) {
            assertArrayEquals(TestTimeAugmentation.logits(linear, images, 4, level), all[level], "level " + level);
        }
    }

    /** Logits that are fixed random linear functions of all pixels: any change of view changes them. */
    private static LogitsFunction linearModel(int classes, long seed) {
        float[] weights = randomImages(classes, seed);
        return (images, count) -> {
            float[] out = new float[count * classes];
            for (int i = 0; i < count; i++) {
                for (int k = 0; k < classes; k++) {
                    double sum = 0;
                    for (int j = 0; j < IMAGE_VALUES; j++) {
                        sum += images[i * IMAGE_VALUES + j] * weights[k * IMAGE_VALUES + j];
                    }
                    out[i * classes + k] = (float) sum;
                }
            }
            return out;
        };
    }

    @Test
    void batchesNeverExceedTheBatchSizeAndGiveTheSameCountsAsOneBatch() {
        int n = 11;
        float[] images = randomImages(n, 15);
        LogitsFunction linear = linearModel(4, 16);
        // Labels: the level-2 prediction for even images, something else for odd ones.
        float[] level2 = TestTimeAugmentation.logits(linear, images, n, 2);
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            int predicted = Evaluator.argMax(level2, i, 4);
            labels[i] = i % 2 == 0 ? predicted : (predicted + 1) % 4;
        }
        List<Integer> batchSizes = new ArrayList<>();
        LogitsFunction recording = (batch, count) -> {
            batchSizes.add(count);
            return linear.logits(batch, count);
        };
        Map<Integer, Evaluation> batched = new Evaluator(recording, 4).evaluateLevels(images, labels, 4, 2, 0, 1);
        // 3 batches (4 + 4 + 3 images) of 6 views each.
        assertEquals(List.of(4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 3, 3, 3, 3, 3, 3), batchSizes);
        assertEquals(List.of(2, 0, 1), List.copyOf(batched.keySet()), "levels in the order asked for");
        assertEquals(new Evaluation(2, 6, n), batched.get(2));
        assertEquals(batched, new Evaluator(linear, 1000).evaluateLevels(images, labels, 4, 2, 0, 1));
        for (int level = 0; level <= 2; level++) {
            assertEquals(batched.get(level), new Evaluator(linear, 3).evaluate(images, labels, 4, level));
        }
    }

    @Test
    void accuracyIsTheFractionOfArgMaxHitsWithTiesGoingToTheLowestClass() {
        // The model's class for image i is i % 3, except image 4 whose three logits tie (so class 0).
        LogitsFunction byIndex = (images, count) -> {
            float[] out = new float[count * 3];
            for (int i = 0; i < count; i++) {
                int image = (int) images[i * IMAGE_VALUES];
                if (image != 4) {
                    out[i * 3 + image % 3] = 1;
                }
            }
            return out;
        };
        int n = 8;
        float[] images = new float[n * IMAGE_VALUES];
        for (int i = 0; i < n; i++) {
            Arrays.fill(images, i * IMAGE_VALUES, (i + 1) * IMAGE_VALUES, i);  // every view keeps the index
        }
        int[] labels = {0, 1, 2, 0, 0, 0, 1, 0};  // right: images 0 to 4 (4 by the tie); wrong: 5, 6, 7
        Evaluation evaluation = new Evaluator(byIndex, 3).evaluate(images, labels, 3, 1);
        assertEquals(new Evaluation(1, 5, 8), evaluation);
        assertEquals(0.625, evaluation.accuracy(), 0);
        assertEquals(0.0, new Evaluation(0, 0, 0).accuracy(), 0);
    }

    @Test
    void badLevelsAndInputsAreRefusedClearly() {
        LogitsFunction zeros = (images, count) -> new float[count * 10];
        float[] one = new float[IMAGE_VALUES];
        Evaluator evaluator = new Evaluator(zeros);
        IllegalArgumentException negative = assertThrows(IllegalArgumentException.class,
                () -> TestTimeAugmentation.logits(zeros, one, 1, -1));
        assertTrue(negative.getMessage().contains("valid levels: 0, 1, 2"), negative.getMessage());
        assertThrows(IllegalArgumentException.class, () -> evaluator.evaluateLevels(one, new int[] {0}, 10, 0, 3));
        assertThrows(IllegalArgumentException.class, () -> evaluator.evaluateLevels(one, new int[] {0}, 10));

        IllegalArgumentException length = assertThrows(IllegalArgumentException.class,
                () -> evaluator.evaluate(one, new int[] {0, 1}, 10, 0));
        assertTrue(length.getMessage().contains("6144"), length.getMessage());
        IllegalArgumentException label = assertThrows(IllegalArgumentException.class,
                () -> evaluator.evaluate(one, new int[] {10}, 10, 0));
        assertTrue(label.getMessage().contains("outside 0..9"), label.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Evaluator(zeros, 0));

        LogitsFunction shortRows = (images, count) -> new float[count * 10 - 1];
        assertThrows(IllegalStateException.class, () -> new Evaluator(shortRows).evaluate(one, new int[] {0}, 10, 0));
        LogitsFunction wrongClassCount = (images, count) -> new float[count * 7];
        assertThrows(IllegalStateException.class,
                () -> new Evaluator(wrongClassCount).evaluate(one, new int[] {0}, 10, 2));
    }
}

package airbench.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class EvaluatorTest {
    private static final int V = 32 * 32 * 3;

    /**
     * A fake model that puts the value of one chosen pixel of each view into a class
     * score: logit[k] = image value at (y = k, x = 0, c = 0) for k < 10. This makes each
     * view's contribution computable by hand.
     */
    private static final LogitsFunction PIXEL_COLUMN = (images, count) -> {
        float[] out = new float[count * 10];
        for (int i = 0; i < count; i++) {
            for (int k = 0; k < 10; k++) {
                out[i * 10 + k] = images[i * V + (k * 32) * 3];
            }
        }
        return out;
    };

    private static float at(float[] image, int y, int x) {
        return image[(y * 32 + x) * 3];
    }

    private static float[] randomImages(int n, long seed) {
        Random random = new Random(seed);
        float[] images = new float[n * V];
        for (int i = 0; i < images.length; i++) {
            images[i] = (float) random.nextGaussian();
        }
        return images;
    }

    @Test
    void levelsCombineTheSixViewsWithTheMethodsWeights() {
        float[] image = randomImages(1, 3);
        float[] l0 = TestTimeAugmentation.logits(PIXEL_COLUMN, image, 1, 0);
        float[] l1 = TestTimeAugmentation.logits(PIXEL_COLUMN, image, 1, 1);
        float[] l2 = TestTimeAugmentation.logits(PIXEL_COLUMN, image, 1, 2);
        for (int k = 0; k < 10; k++) {
            // view column x = 0; mirrored view reads original column 31.
            float plain = at(image, k, 0);
            float mirror = at(image, k, 31);
            // up-left window of the 1-pixel reflect-padded image: padded (k, 0) = original (k - 1, 1), row -1 -> 1
            int upRow = k == 0 ? 1 : k - 1;
            float upLeft = at(image, upRow, 1);
            // its mirror reads padded column 31 = original column 30
            float upLeftMirror = at(image, upRow, 30);
            // down-right window starts at padded (2, 2) = original (1, 1): row k -> original k + 1
            float downRight = at(image, k + 1, 1);
            // its mirror reads padded column 33 = original column 32 reflected -> 30
            float downRightMirror = at(image, k + 1, 30);
            assertEquals(plain, l0[k], 0);
            assertEquals(0.5f * plain + 0.5f * mirror, l1[k], 1e-6);
            float expected = 0.25f * plain + 0.25f * mirror + 0.125f * (upLeft + upLeftMirror + downRight + downRightMirror);
            assertEquals(expected, l2[k], 1e-6, "class " + k);
        }
    }

    @Test
    void levelTwoCallsTheModelOnSixViewsAndSharesThemAcrossLevels() {
        List<Integer> calls = new ArrayList<>();
        LogitsFunction counting = (images, count) -> {
            calls.add(count);
            return PIXEL_COLUMN.logits(images, count);
        };
        float[] images = randomImages(5, 4);
        int[] labels = {0, 1, 2, 3, 4};
        new Evaluator(counting, 2000).evaluateLevels(images, labels, 10, 0, 1, 2);
        assertEquals(List.of(5, 5, 5, 5, 5, 5), calls);
    }

    @Test
    void batchingDoesNotChangeTheResult() {
        float[] images = randomImages(23, 5);
        int[] labels = new int[23];
        Random random = new Random(6);
        for (int i = 0; i < labels.length; i++) {
            labels[i] = random.nextInt(10);
        }
        Map<Integer, Evaluation> whole = new Evaluator(PIXEL_COLUMN, 2000).evaluateLevels(images, labels, 10, 0, 1, 2);
        Map<Integer, Evaluation> small = new Evaluator(PIXEL_COLUMN, 4).evaluateLevels(images, labels, 10, 0, 1, 2);
        assertEquals(whole, small);
        // and the count equals a direct arg-max of the level-2 logits
        float[] l2 = TestTimeAugmentation.logits(PIXEL_COLUMN, images, 23, 2);
        int correct = 0;
        for (int i = 0; i < 23; i++) {
            if (Evaluator.argMax(l2, i, 10) == labels[i]) {
                correct++;
            }
        }
        assertEquals(new Evaluation(2, correct, 23), whole.get(2));
    }

    @Test
    void accuracyCountsArgMaxWithFirstIndexOnTies() {
        LogitsFunction fixed = (images, count) -> new float[] {
            0, 5, 5, 0, 0, 0, 0, 0, 0, 0,   // tie between 1 and 2 -> 1
            9, 0, 0, 0, 0, 0, 0, 0, 0, 0,   // 0
            0, 0, 0, 0, 0, 0, 0, 0, 0, 1};  // 9
        Evaluation e = new Evaluator(fixed, 10).evaluate(new float[3 * V], new int[] {1, 0, 8}, 10, 0);
        assertEquals(new Evaluation(0, 2, 3), e);
        assertEquals(2.0 / 3, e.accuracy(), 1e-12);
        assertArrayEquals(new int[] {1}, new int[] {Evaluator.argMax(new float[] {0, 5, 5}, 0, 3)});
    }

    @Test
    void unknownLevelIsRefusedNamingTheValidOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Evaluator(PIXEL_COLUMN, 10).evaluate(new float[V], new int[] {0}, 10, 3));
        assertEquals("TTA level 3 does not exist; valid levels: 0, 1, 2", e.getMessage());
    }
}

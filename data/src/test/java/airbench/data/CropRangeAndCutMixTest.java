package airbench.data;

import static airbench.data.Synthetic.imageId;
import static airbench.data.Synthetic.pixelByte;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * hlb-CIFAR10's two augmentation pieces (docs/METHOD.md section 13): the crop whose shifts run over -2..+1 (its
 * published off-by-one), and CutMix with a 3x3 square from a given epoch on. CutMix is checked against a plain
 * re-computation from the same epoch without it: its draws come after the epoch's others, so the translations,
 * flips and order are the same, and every mixed image must be its plain image with one 3x3 square of another
 * image's plain pixels, the partners of an epoch forming a permutation of the whole set.
 */
class CropRangeAndCutMixTest {
    private static final CifarDataset PATTERNED = Synthetic.patterned(200);
    private static final int BATCH = 50;
    private static final int CLASSES = 10;

    @Test
    void offByOneShiftsAreMinusTwoToPlusOneEachEquallyOften() {
        TrainingBatches batches = new TrainingBatches(PATTERNED, new AugmentSpec(2, 0, FlipMode.NONE, true, 0, 0),
                BATCH, 11);
        int epochs = 20;
        int[] rows = new int[5];
        int[] columns = new int[5];
        for (int e = 0; e < epochs; e++) {
            for (int k = 0; k < batches.stepsPerEpoch(); k++) {
                float[] images = batches.batch(e, k).images();
                for (int j = 0; j < BATCH; j++) {
                    // The centre pixel comes from source (16 + dy, 16 + dx): far from the border, no reflection.
                    rows[pixelByte(images, j, 16, 16, 0) / 8 - 16 + 2]++;
                    columns[pixelByte(images, j, 16, 16, 1) / 8 - 16 + 2]++;
                }
            }
        }
        assertEquals(0, rows[4], "a shift of +2 never occurs");
        assertEquals(0, columns[4], "a shift of +2 never occurs");
        // 4,000 draws per axis over 4 values: 1,000 each, standard deviation sqrt(4000 * 1/4 * 3/4) = 27.
        for (int shift = 0; shift < 4; shift++) {
            assertEquals(1000, rows[shift], 5 * 27.4, "row shift " + (shift - 2) + ": " + Arrays.toString(rows));
            assertEquals(1000, columns[shift], 5 * 27.4, "column shift " + (shift - 2) + ": " + Arrays.toString(columns));
        }
    }

    @Test
    void theOffByOneRangeNeedsATranslation() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new AugmentSpec(0, 0, FlipMode.RANDOM, true, 0, 0));
        assertTrue(e.getMessage().contains("translate 0"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new AugmentSpec(2, 0, FlipMode.RANDOM, false, 33, 0));
        assertThrows(IllegalArgumentException.class, () -> new AugmentSpec(2, 0, FlipMode.RANDOM, false, 3, -1));
    }

    @Test
    void cutMixPastesAThreeByThreeSquareOfAPartnerAndMixesTheTargetsByArea() {
        int fromEpoch = 2;
        int epochs = 12;
        long seed = 5;
        TrainingBatches mixed = new TrainingBatches(PATTERNED,
                new AugmentSpec(2, 0, FlipMode.RANDOM, true, 3, fromEpoch), BATCH, seed);
        TrainingBatches plain = new TrainingBatches(PATTERNED, new AugmentSpec(2, 0, FlipMode.RANDOM, true, 0, 0),
                BATCH, seed);
        int[] tops = new int[32];
        int[] lefts = new int[32];
        int[] previousPartners = null;
        for (int e = 0; e < epochs; e++) {
            // The plain epoch: every image's translated and flipped pixels, by image number.
            float[][] plainById = new float[PATTERNED.size()][];
            for (int k = 0; k < plain.stepsPerEpoch(); k++) {
                Batch b = plain.batch(e, k);
                for (int j = 0; j < BATCH; j++) {
                    plainById[imageId(b.images(), j)] = slot(b.images(), j);
                }
            }
            int[] partners = new int[PATTERNED.size()];
            Arrays.fill(partners, -1);
            for (int k = 0; k < mixed.stepsPerEpoch(); k++) {
                Batch m = mixed.batch(e, k);
                Batch p = plain.batch(e, k);
                assertArrayEquals(p.labels(), m.labels(), "labels of epoch " + e + " batch " + k);
                assertEquals(BATCH * CLASSES, m.targets().length);
                assertNull(p.targets(), "without CutMix the labels are the targets");
                for (int j = 0; j < BATCH; j++) {
                    int own = imageId(p.images(), j);
                    float[] image = slot(m.images(), j);
                    float[] expectedTarget = new float[CLASSES];
                    if (e < fromEpoch) {
                        assertArrayEquals(plainById[own], image, "no CutMix before epoch " + fromEpoch);
                        expectedTarget[own % CLASSES] = 1f;
                    } else {
                        int partner = checkSquare(image, plainById, own, tops, lefts);
                        partners[own] = partner;
                        // The plain-Java target: 1015/1024 of the own one-hot plus 9/1024 of the partner's.
                        expectedTarget[own % CLASSES] += (float) (1 - 9 / 1024.0);
                        expectedTarget[partner % CLASSES] += (float) (9 / 1024.0);
                    }
                    assertArrayEquals(expectedTarget, Arrays.copyOfRange(m.targets(), j * CLASSES, (j + 1) * CLASSES),
                            "target of image " + own + " in epoch " + e);
                }
            }
            if (e >= fromEpoch) {
                int[] sorted = partners.clone();
                Arrays.sort(sorted);
                for (int i = 0; i < sorted.length; i++) {
                    assertEquals(i, sorted[i], "the partners of epoch " + e + " are a permutation of the whole set");
                }
                if (previousPartners != null) {
                    assertFalse(Arrays.equals(previousPartners, partners), "a fresh permutation every epoch");
                }
                previousPartners = partners;
            }
        }
        // Top-left corners 0..29 (centres 1..30), uniformly: about 2,000 draws per axis over 30 values.
        for (int[] corners : new int[][] {tops, lefts}) {
            int draws = Arrays.stream(corners).sum();
            double chiSquare = 0;
            for (int v = 0; v < 32; v++) {
                if (v >= 30) {
                    assertEquals(0, corners[v], "a square at " + v + " would leave the image");
                } else {
                    assertTrue(corners[v] > 0, "corner " + v + " never drawn: " + Arrays.toString(corners));
                    double expected = draws / 30.0;
                    chiSquare += (corners[v] - expected) * (corners[v] - expected) / expected;
                }
            }
            // 29 degrees of freedom: mean 29, standard deviation 7.6; 70 is more than 5 deviations out.
            assertTrue(chiSquare < 70, "chi-square " + chiSquare + " of " + Arrays.toString(corners));
        }
    }

    /**
     * Checks that {@code image} is image {@code own}'s plain pixels except for one 3x3 square inside the image that
     * holds the same square of its partner's plain pixels; records the square's corner and returns the partner
     * (the image itself when nothing changed: a fixed point of the permutation).
     */
    private static int checkSquare(float[] image, float[][] plainById, int own, int[] tops, int[] lefts) {
        float[] mine = plainById[own];
        int top = 32, bottom = -1, left = 32, right = -1, changed = 0;
        for (int y = 0; y < 32; y++) {
            for (int x = 0; x < 32; x++) {
                int at = (y * 32 + x) * 3;
                if (image[at] != mine[at] || image[at + 1] != mine[at + 1] || image[at + 2] != mine[at + 2]) {
                    changed++;
                    top = Math.min(top, y);
                    bottom = Math.max(bottom, y);
                    left = Math.min(left, x);
                    right = Math.max(right, x);
                }
            }
        }
        if (changed == 0) {
            return own;  // channel 2 holds the image number, so another partner changes every pixel of the square
        }
        assertEquals(9, changed, "a 3x3 square of image " + own);
        assertEquals(2, bottom - top, "3 rows");
        assertEquals(2, right - left, "3 columns");
        int partner = (int) Math.round((image[(top * 32 + left) * 3 + 2] * (double) Normalization.STD[2]
                + Normalization.MEAN[2]) * 255.0);
        for (int y = top; y <= bottom; y++) {
            for (int x = left; x <= right; x++) {
                for (int c = 0; c < 3; c++) {
                    int at = (y * 32 + x) * 3 + c;
                    assertEquals(plainById[partner][at], image[at], 0f, "pixel (" + y + ", " + x + ") of the partner");
                }
            }
        }
        tops[top]++;
        lefts[left]++;
        return partner;
    }

    private static float[] slot(float[] images, int j) {
        return Arrays.copyOfRange(images, j * CifarDataset.IMAGE_BYTES, (j + 1) * CifarDataset.IMAGE_BYTES);
    }

    @Test
    void theStraddlingStreamRefusesCutMix() {
        TrainingBatches passes = new TrainingBatches(PATTERNED, new AugmentSpec(2, 0, FlipMode.RANDOM, false, 3, 0),
                BATCH, 1);
        assertThrows(IllegalArgumentException.class, () -> new StraddlingBatches(passes));
    }
}

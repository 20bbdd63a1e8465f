package airbench.data;

import static airbench.data.Synthetic.imageId;
import static airbench.data.Synthetic.mirrored;
import static airbench.data.Synthetic.pixelByte;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class TrainingBatchesTest {
    private static final CifarDataset PATTERNED = Synthetic.patterned(200);

    /** orientation[e][id]: whether image id was seen mirrored in epoch e. */
    private static boolean[][] orientations(TrainingBatches batches, int epochs) {
        boolean[][] seen = new boolean[epochs][PATTERNED.size()];
        for (int e = 0; e < epochs; e++) {
            for (int k = 0; k < batches.stepsPerEpoch(); k++) {
                Batch batch = batches.batch(e, k);
                for (int j = 0; j < batch.size(); j++) {
                    seen[e][imageId(batch.images(), j)] = mirrored(batch.images(), j);
                }
            }
        }
        return seen;
    }

    private static int count(boolean[] values) {
        int n = 0;
        for (boolean v : values) {
            n += v ? 1 : 0;
        }
        return n;
    }

    @Test
    void translationOffsetsStayWithinTheRangeAndAllOccur() {
        int t = 3;
        TrainingBatches batches = new TrainingBatches(PATTERNED, new AugmentSpec(t, 0, FlipMode.NONE), 50, 7);
        Set<Integer> rows = new TreeSet<>();
        Set<Integer> columns = new TreeSet<>();
        for (int e = 0; e < 3; e++) {
            for (int k = 0; k < batches.stepsPerEpoch(); k++) {
                float[] images = batches.batch(e, k).images();
                for (int j = 0; j < 50; j++) {
                    // The centre pixel comes from source (16 + dy, 16 + dx): far from any border, so no reflection.
                    int dy = pixelByte(images, j, 16, 16, 0) / 8 - 16;
                    int dx = pixelByte(images, j, 16, 16, 1) / 8 - 16;
                    // A pure translation: every other pixel of the window agrees with that offset.
                    assertEquals(8 * (5 + dy), pixelByte(images, j, 5, 20, 0));
                    assertEquals(8 * (20 + dx), pixelByte(images, j, 5, 20, 1));
                    rows.add(dy);
                    columns.add(dx);
                }
            }
        }
        Set<Integer> all = Set.of(-3, -2, -1, 0, 1, 2, 3);
        assertEquals(all, rows);
        assertEquals(all, columns);
    }

    @Test
    void theBorderOfAShiftedWindowIsReflectedWithoutRepeatingTheEdge() {
        TrainingBatches batches = new TrainingBatches(PATTERNED, new AugmentSpec(2, 0, FlipMode.NONE), 200, 3);
        float[] images = batches.batch(0, 0).images();
        boolean sawShiftUp = false;
        for (int j = 0; j < 200; j++) {
            int dy = pixelByte(images, j, 16, 16, 0) / 8 - 16;
            if (dy == -2) {
                // Window rows 0, 1, 2 come from source rows reflect(-2) = 2, reflect(-1) = 1 and 0.
                assertEquals(8 * 2, pixelByte(images, j, 0, 10, 0));
                assertEquals(8 * 1, pixelByte(images, j, 1, 10, 0));
                assertEquals(0, pixelByte(images, j, 2, 10, 0));
                assertEquals(8 * 29, pixelByte(images, j, 31, 10, 0));
                sawShiftUp = true;
            }
        }
        assertTrue(sawShiftUp, "no image of the test was shifted by -2 rows; choose another seed");
    }

    @Test
    void alternatingFlipShowsEveryImageBothWaysOverAnyTwoConsecutiveEpochs() {
        TrainingBatches batches = new TrainingBatches(PATTERNED, new AugmentSpec(2, 0, FlipMode.ALTERNATING), 50, 11);
        boolean[][] seen = orientations(batches, 6);
        for (int e = 0; e + 1 < 6; e++) {
            for (int id = 0; id < PATTERNED.size(); id++) {
                assertNotEquals(seen[e][id], seen[e + 1][id], "image " + id + " in epochs " + e + " and " + (e + 1));
            }
        }
        // Epoch 0 shows the pre-flip, about half of the images mirrored (binomial: 100 +- 7).
        int mirroredAtStart = count(seen[0]);
        assertTrue(mirroredAtStart > 65 && mirroredAtStart < 135, mirroredAtStart + " of 200 pre-flipped");
        for (int id = 0; id < PATTERNED.size(); id++) {
            assertEquals(batches.preFlipped(id), seen[0][id]);
        }
    }

    @Test
    void randomFlipChoosesAgainEveryEpoch() {
        TrainingBatches batches = new TrainingBatches(PATTERNED, new AugmentSpec(2, 0, FlipMode.RANDOM), 50, 11);
        boolean[][] seen = orientations(batches, 6);
        int sameAsPreviousEpoch = 0;
        for (int e = 0; e < 6; e++) {
            int mirroredCount = count(seen[e]);
            assertTrue(mirroredCount > 65 && mirroredCount < 135, mirroredCount + " of 200 mirrored in epoch " + e);
            if (e > 0) {
                for (int id = 0; id < PATTERNED.size(); id++) {
                    sameAsPreviousEpoch += seen[e][id] == seen[e - 1][id] ? 1 : 0;
                }
            }
        }
        // Independent coin flips: about half of the 1,000 consecutive pairs agree (500 +- 16); alternation gives 0.
        assertTrue(sameAsPreviousEpoch > 400 && sameAsPreviousEpoch < 600, sameAsPreviousEpoch + " pairs agree");
    }

    @Test
    void noFlipNeverMirrors() {
        TrainingBatches batches = new TrainingBatches(PATTERNED, new AugmentSpec(2, 0, FlipMode.NONE), 50, 11);
        boolean[][] seen = orientations(batches, 4);
        for (boolean[] epoch : seen) {
            assertEquals(0, count(epoch));
        }
    }

    @Test
    void cutoutZeroesOneSquareInsideTheImageAndLeavesTheRestAlone() {
        int side = 8;
        TrainingBatches batches = new TrainingBatches(PATTERNED, new AugmentSpec(0, side, FlipMode.NONE), 50, 5);
        float[] original = Normalization.normalize(PATTERNED.images());
        Set<Integer> tops = new TreeSet<>();
        Set<Integer> lefts = new TreeSet<>();
        for (int e = 0; e < 2; e++) {
            for (int k = 0; k < batches.stepsPerEpoch(); k++) {
                Batch batch = batches.batch(e, k);
                for (int j = 0; j < batch.size(); j++) {
                    int id = imageId(batch.images(), j);
                    int top = 32;
                    int left = 32;
                    int zeros = 0;
                    for (int y = 0; y < 32; y++) {
                        for (int x = 0; x < 32; x++) {
                            for (int c = 0; c < 3; c++) {
                                float value = batch.images()[((j * 32 + y) * 32 + x) * 3 + c];
                                float source = original[((id * 32 + y) * 32 + x) * 3 + c];
                                assertNotEquals(0f, source, "the fixture must have no normalized zeros");
                                if (value == 0f) {
                                    zeros++;
                                    top = Math.min(top, y);
                                    left = Math.min(left, x);
                                } else {
                                    assertEquals(source, value);
                                }
                            }
                        }
                    }
                    assertEquals(side * side * 3, zeros, "one full square of all three channels");
                    assertTrue(top <= 32 - side && left <= 32 - side, "square at " + top + ", " + left);
                    for (int y = top; y < top + side; y++) {
                        for (int x = left; x < left + side; x++) {
                            assertEquals(0f, batch.images()[((j * 32 + y) * 32 + x) * 3]);
                        }
                    }
                    tops.add(top);
                    lefts.add(left);
                }
            }
        }
        Set<Integer> every = new TreeSet<>();
        for (int p = 0; p <= 32 - side; p++) {
            every.add(p);
        }
        assertEquals(every, tops);
        assertEquals(every, lefts);
    }

    @Test
    void everyEpochIsAPermutationWithoutRepeatsAndDropsTheLastPartialBatch() {
        CifarDataset train = Synthetic.patterned(210);
        TrainingBatches batches = new TrainingBatches(train, new AugmentSpec(2, 0, FlipMode.ALTERNATING), 50, 1);
        assertEquals(4, batches.stepsPerEpoch());
        int[][] orders = new int[3][];
        for (int e = 0; e < 3; e++) {
            Set<Integer> ids = new HashSet<>();
            int[] order = new int[200];
            for (int k = 0; k < 4; k++) {
                Batch batch = batches.batch(e, k);
                assertEquals(e, batch.epoch());
                assertEquals(k, batch.index());
                assertEquals(50, batch.size());
                for (int j = 0; j < 50; j++) {
                    int id = imageId(batch.images(), j);
                    assertTrue(ids.add(id), "image " + id + " twice in epoch " + e);
                    assertEquals(train.labels()[id], batch.labels()[j]);
                    order[k * 50 + j] = id;
                }
            }
            assertEquals(200, ids.size());
            orders[e] = order;
        }
        assertFalse(Arrays.equals(orders[0], orders[1]), "a fresh permutation every epoch");
        assertThrows(IndexOutOfBoundsException.class, () -> batches.batch(0, 4));
    }

    @Test
    void allOrdersAreEquallyLikely() {
        // 4 images: 24 possible orders, each expected 100 times in 2,400 epochs (sd about 10).
        TrainingBatches batches = new TrainingBatches(Synthetic.patterned(4), new AugmentSpec(0, 0, FlipMode.NONE), 4, 8);
        Map<String, Integer> counts = new HashMap<>();
        for (int e = 0; e < 2_400; e++) {
            float[] images = batches.batch(e, 0).images();
            String order = "" + imageId(images, 0) + imageId(images, 1) + imageId(images, 2) + imageId(images, 3);
            counts.merge(order, 1, Integer::sum);
        }
        assertEquals(24, counts.size(), "every order occurs: " + counts);
        for (var entry : counts.entrySet()) {
            assertTrue(entry.getValue() > 55 && entry.getValue() < 145, entry + " in " + counts);
        }
    }

    @Test
    void theSameSeedGivesTheSameBatchesAndAnotherSeedOthers() {
        AugmentSpec aug = new AugmentSpec(2, 6, FlipMode.ALTERNATING);
        TrainingBatches a = new TrainingBatches(PATTERNED, aug, 40, 123);
        TrainingBatches b = new TrainingBatches(PATTERNED, aug, 40, 123);
        TrainingBatches c = new TrainingBatches(PATTERNED, aug, 40, 124);
        for (int e = 0; e < 3; e++) {
            for (int k = 0; k < a.stepsPerEpoch(); k++) {
                Batch first = a.batch(e, k);
                Batch second = b.batch(e, k);
                assertArrayEquals(first.images(), second.images());
                assertArrayEquals(first.labels(), second.labels());
                assertFalse(Arrays.equals(first.images(), c.batch(e, k).images()), "epoch " + e + " batch " + k);
            }
        }
    }

    @Test
    void anEpochIsTheSameWhetherOrNotEarlierEpochsWereGenerated() {
        AugmentSpec aug = new AugmentSpec(3, 8, FlipMode.RANDOM);
        TrainingBatches sequential = new TrainingBatches(PATTERNED, aug, 64, 99);
        Batch[] inOrder = new Batch[4];
        for (int e = 0; e < 4; e++) {
            for (int k = 0; k < sequential.stepsPerEpoch(); k++) {
                Batch batch = sequential.batch(e, k);
                if (k == 1) {
                    inOrder[e] = batch;
                }
            }
        }
        TrainingBatches resumed = new TrainingBatches(PATTERNED, aug, 64, 99);
        for (int e : new int[] {3, 1, 2, 0}) {
            Batch fresh = resumed.batch(e, 1);
            assertArrayEquals(inOrder[e].images(), fresh.images(), "epoch " + e);
            assertArrayEquals(inOrder[e].labels(), fresh.labels(), "epoch " + e);
        }
    }

    @Test
    void rejectsABatchLargerThanTheTrainingSet() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new TrainingBatches(PATTERNED, new AugmentSpec(2, 0, FlipMode.NONE), 201, 0));
        assertEquals("batch size must be in [1, 200] (the training set's size), got 201", e.getMessage());
    }

    @Test
    void epochSeedsDifferForNeighbouringSeedsAndEpochs() {
        Set<Long> seeds = new HashSet<>();
        for (long seed = 0; seed < 50; seed++) {
            for (long epoch = 0; epoch < 50; epoch++) {
                seeds.add(TrainingBatches.streamSeed(seed, 2, epoch));
            }
            seeds.add(TrainingBatches.streamSeed(seed, 1, 0));
        }
        assertEquals(50 * 51, seeds.size());
    }

    /**
     * The fast path (uint8 windows normalized through a table) against the method
     * done literally in float with ImageOps, in the method's order, for the same draws.
     */
    @ParameterizedTest
    @EnumSource(FlipMode.class)
    void equalsTheLiteralFloatPipelineBitForBit(FlipMode flip) {
        CifarDataset train = Synthetic.noisy(300, 17);
        AugmentSpec aug = new AugmentSpec(4, 12, flip);
        TrainingBatches batches = new TrainingBatches(train, aug, 64, 2024);
        int n = train.size();
        int image = CifarDataset.IMAGE_BYTES;

        float[] normalized = Normalization.normalize(train.images());
        for (int i = 0; i < n; i++) {
            if (batches.preFlipped(i)) {
                float[] one = Arrays.copyOfRange(normalized, i * image, (i + 1) * image);
                System.arraycopy(ImageOps.mirror(one, 1, 32, 32, 3), 0, normalized, i * image, image);
            }
        }
        int side = 32 + 2 * aug.translate();
        float[] padded = ImageOps.reflectPad(normalized, n, 32, 32, 3, aug.translate());

        for (int e = 0; e < 3; e++) {
            TrainingBatches.EpochPlan plan = batches.plan(e);
            for (int k = 0; k < batches.stepsPerEpoch(); k++) {
                float[] expected = new float[64 * image];
                for (int j = 0; j < 64; j++) {
                    int i = plan.order[k * 64 + j];
                    float[] one = Arrays.copyOfRange(padded, i * side * side * 3, (i + 1) * side * side * 3);
                    float[] view = ImageOps.crop(one, 1, side, side, 3, aug.translate() + plan.dy[i],
                            aug.translate() + plan.dx[i], 32, 32);
                    if (plan.flip[i]) {
                        view = ImageOps.mirror(view, 1, 32, 32, 3);
                    }
                    for (int y = plan.cutoutTop[i]; y < plan.cutoutTop[i] + aug.cutout(); y++) {
                        for (int x = plan.cutoutLeft[i]; x < plan.cutoutLeft[i] + aug.cutout(); x++) {
                            Arrays.fill(view, (y * 32 + x) * 3, (y * 32 + x) * 3 + 3, 0f);
                        }
                    }
                    System.arraycopy(view, 0, expected, j * image, image);
                }
                assertArrayEquals(expected, batches.batch(e, k).images(), flip + " epoch " + e + " batch " + k);
            }
        }
    }

    @Test
    void augmentSpecRejectsImpossibleValues() {
        assertEquals("translate must be in [0, 15] pixels, got 16", assertThrows(IllegalArgumentException.class,
                () -> new AugmentSpec(16, 0, FlipMode.NONE)).getMessage());
        assertEquals("translate must be in [0, 15] pixels, got -1", assertThrows(IllegalArgumentException.class,
                () -> new AugmentSpec(-1, 0, FlipMode.NONE)).getMessage());
        assertEquals("cutout must be in [0, 32] pixels (0 = none), got 33", assertThrows(
                IllegalArgumentException.class, () -> new AugmentSpec(0, 33, FlipMode.NONE)).getMessage());
        new AugmentSpec(15, 32, FlipMode.RANDOM); // the extremes are allowed
    }

    @ParameterizedTest
    @EnumSource(value = DatasetChoice.class, names = {"CIFAR100", "CIFAR100_COARSE"})
    void cifar100BatchesUseCifar100sNormalizationAndTheChosenLabels(DatasetChoice choice) {
        CifarDataset noisy = Synthetic.noisy(120, 3);
        int[] fine = new int[120];
        int[] coarse = new int[120];
        for (int i = 0; i < 120; i++) {
            fine[i] = (i * 37) % 100;
            coarse[i] = fine[i] / 5;
        }
        boolean coarseSet = choice == DatasetChoice.CIFAR100_COARSE;
        CifarDataset train = new CifarDataset(CifarVariant.CIFAR100, "train", noisy.images(), coarseSet ? coarse : fine,
                coarse, choice.wellKnownClassNames(), choice.labelSet());
        TrainingBatches batches = new TrainingBatches(train, new AugmentSpec(0, 0, FlipMode.NONE), 40, 9);
        float[] expected = Normalization.CIFAR100.apply(train.images());
        float[] cifar10 = Normalization.normalize(train.images());
        int image = CifarDataset.IMAGE_BYTES;
        TrainingBatches.EpochPlan plan = batches.plan(1);
        for (int k = 0; k < batches.stepsPerEpoch(); k++) {
            Batch batch = batches.batch(1, k);
            for (int j = 0; j < 40; j++) {
                int i = plan.order[k * 40 + j];
                assertArrayEquals(Arrays.copyOfRange(expected, i * image, (i + 1) * image),
                        Arrays.copyOfRange(batch.images(), j * image, (j + 1) * image), "image " + i);
                assertNotEquals(cifar10[i * image], batch.images()[j * image], "not CIFAR-10's constants");
                assertEquals(coarseSet ? coarse[i] : fine[i], batch.labels()[j]);
            }
        }
    }
}

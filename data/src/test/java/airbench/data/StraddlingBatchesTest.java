package airbench.data;

import static airbench.data.Synthetic.imageId;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class StraddlingBatchesTest {
    /** 210 images in batches of 50: 4 steps per epoch, and every pass ends in the middle of a batch. */
    private static final CifarDataset TRAIN = Synthetic.patterned(210);
    private static final AugmentSpec AUG = new AugmentSpec(2, 6, FlipMode.ALTERNATING);

    /** The first {@code steps} batches of the stream, concatenated. */
    private static float[] streamImages(StraddlingBatches stream, int steps, int[] labelsOut) {
        int image = CifarDataset.IMAGE_BYTES;
        float[] all = new float[steps * 50 * image];
        for (int s = 0; s < steps; s++) {
            Batch batch = stream.batch(s / stream.stepsPerEpoch(), s % stream.stepsPerEpoch());
            assertEquals(s / 4, batch.epoch());
            assertEquals(s % 4, batch.index());
            System.arraycopy(batch.images(), 0, all, s * 50 * image, 50 * image);
            System.arraycopy(batch.labels(), 0, labelsOut, s * 50, 50);
        }
        return all;
    }

    @Test
    void theStreamIsTheAugmentedPassesBackToBackCutIntoBatchesWithNothingDropped() {
        StraddlingBatches stream = new StraddlingBatches(new TrainingBatches(TRAIN, AUG, 50, 5));
        assertEquals(4, stream.stepsPerEpoch(), "210 // 50 steps per epoch, as the schedule counts them");
        int steps = 17;  // 850 images: passes 0-3 whole, pass 4 begun; batches 4, 8, 12 and 16 straddle
        int[] labels = new int[steps * 50];
        float[] images = streamImages(stream, steps, labels);

        // Independent reference: the same passes, each as one batch of all 210 images (no cutting at all).
        TrainingBatches wholePasses = new TrainingBatches(TRAIN, AUG, 210, 5);
        int image = CifarDataset.IMAGE_BYTES;
        for (int position = 0; position < steps * 50; position += 210) {
            int pass = position / 210;
            int count = Math.min(210, steps * 50 - position);
            Batch expected = wholePasses.batch(pass, 0);
            assertArrayEquals(Arrays.copyOf(expected.images(), count * image),
                    Arrays.copyOfRange(images, position * image, (position + count) * image), "pass " + pass);
            assertArrayEquals(Arrays.copyOf(expected.labels(), count),
                    Arrays.copyOfRange(labels, position, position + count), "labels of pass " + pass);
        }

        // Read back which image each slot holds: every pass shows every image once, in a fresh order.
        List<int[]> orders = new java.util.ArrayList<>();
        for (int pass = 0; pass < 4; pass++) {
            Set<Integer> seen = new HashSet<>();
            int[] order = new int[210];
            for (int k = 0; k < 210; k++) {
                int id = imageId(Arrays.copyOfRange(images, (pass * 210 + k) * image, (pass * 210 + k + 1) * image), 0);
                assertTrue(seen.add(id), "image " + id + " twice in pass " + pass);
                order[k] = id;
            }
            assertEquals(210, seen.size());
            orders.add(order);
        }
        assertFalse(Arrays.equals(orders.get(0), orders.get(1)), "a fresh permutation every pass");
    }

    @Test
    void aBatchAcrossAPassBoundaryEndsOnePassAndContinuesWithTheNext() {
        TrainingBatches passes = new TrainingBatches(TRAIN, AUG, 50, 9);
        StraddlingBatches stream = new StraddlingBatches(passes);
        // Step 4 holds positions 200..249: the last 10 images of pass 0, then the first 40 of pass 1.
        Batch straddling = stream.batch(1, 0);
        Batch lastOfPass0 = new TrainingBatches(TRAIN, AUG, 10, 9).batch(0, 20);
        Batch firstOfPass1 = new TrainingBatches(TRAIN, AUG, 40, 9).batch(1, 0);
        int image = CifarDataset.IMAGE_BYTES;
        assertArrayEquals(lastOfPass0.images(), Arrays.copyOf(straddling.images(), 10 * image));
        assertArrayEquals(firstOfPass1.images(), Arrays.copyOfRange(straddling.images(), 10 * image, 50 * image));
        // The batch before is the per-epoch pipeline's batch 3 of epoch 0, unchanged.
        assertArrayEquals(passes.batch(0, 3).images(), stream.batch(0, 3).images());
        assertThrows(IndexOutOfBoundsException.class, () -> stream.batch(0, 4));
    }

    @Test
    void aStepIsTheSameWhateverWasGeneratedBefore() {
        StraddlingBatches sequential = new StraddlingBatches(new TrainingBatches(TRAIN, AUG, 50, 3));
        Batch[] inOrder = new Batch[12];
        for (int s = 0; s < 12; s++) {
            inOrder[s] = sequential.batch(s / 4, s % 4);
        }
        StraddlingBatches resumed = new StraddlingBatches(new TrainingBatches(TRAIN, AUG, 50, 3));
        for (int s : new int[] {8, 4, 11, 0, 5}) {
            Batch fresh = resumed.batch(s / 4, s % 4);
            assertArrayEquals(inOrder[s].images(), fresh.images(), "step " + s);
            assertArrayEquals(inOrder[s].labels(), fresh.labels(), "step " + s);
        }
    }

    @Test
    void thePrefetcherDeliversTheStreamFromAnyStep() {
        StraddlingBatches stream = new StraddlingBatches(new TrainingBatches(TRAIN, AUG, 50, 4));
        try (BatchPrefetcher prefetcher = BatchPrefetcher.fromStep(stream, 6, 5)) {
            for (int s = 6; s < 11; s++) {
                Batch batch = prefetcher.next();
                assertArrayEquals(stream.batch(s / 4, s % 4).images(), batch.images(), "step " + s);
            }
            assertFalse(prefetcher.hasNext());
        }
    }
}

package airbench.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Training sets derived by a mask, an index list or new labels (docs/METHOD.md section 12). */
class DerivedDatasetTest {

    /** Image {@code i} of {@link Synthetic#patterned} carries {@code i} in every blue byte. */
    private static int imageNumber(CifarDataset data, int k) {
        return data.images()[k * CifarDataset.IMAGE_BYTES + 2] & 0xFF;
    }

    @Test
    void aMaskKeepsExactlyTheMarkedImagesWithTheirLabelsInOrder() {
        CifarDataset data = Synthetic.noisy(40, 3);
        boolean[] mask = new boolean[40];
        List<Integer> expected = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            mask[i] = i % 3 == 0 || i == 37;
            if (mask[i]) {
                expected.add(i);
            }
        }
        CifarDataset selected = data.select(mask);
        assertEquals(expected.size(), selected.size());
        for (int k = 0; k < expected.size(); k++) {
            int i = expected.get(k);
            assertArrayEquals(Arrays.copyOfRange(data.images(), i * CifarDataset.IMAGE_BYTES,
                    (i + 1) * CifarDataset.IMAGE_BYTES), Arrays.copyOfRange(selected.images(),
                    k * CifarDataset.IMAGE_BYTES, (k + 1) * CifarDataset.IMAGE_BYTES), "pixels of image " + i);
            assertEquals(data.labels()[i], selected.labels()[k], "label of image " + i);
        }
        assertEquals(0, data.select(new boolean[40]).size());
        assertEquals(40, data.select(filled(40)).size());
    }

    @Test
    void anIndexListTakesThoseImagesInTheGivenOrderRepeatsIncluded() {
        CifarDataset data = Synthetic.patterned(12);
        int[] indices = {7, 2, 11, 2, 0};
        CifarDataset selected = data.select(indices);
        assertEquals(5, selected.size());
        for (int k = 0; k < indices.length; k++) {
            assertEquals(indices[k], imageNumber(selected, k), "position " + k);
            assertEquals(indices[k] % 10, selected.labels()[k], "label at position " + k);
        }
        assertEquals(data.variant(), selected.variant());
        assertEquals(data.classNames(), selected.classNames());
    }

    @Test
    void derivingNeverChangesTheOriginal() {
        CifarDataset data = Synthetic.patterned(6);
        byte[] pixels = data.images().clone();
        int[] labels = data.labels().clone();
        data.select(new int[] {1, 1}).images()[0] = 99;
        data.withLabels(new int[] {9, 9, 9, 9, 9, 9});
        assertArrayEquals(pixels, data.images());
        assertArrayEquals(labels, data.labels());
    }

    @Test
    void newLabelsReplaceTheOldOnesAndKeepThePixels() {
        CifarDataset data = Synthetic.patterned(5);
        int[] shifted = {3, 4, 5, 6, 7};
        CifarDataset relabeled = data.withLabels(shifted);
        assertArrayEquals(shifted, relabeled.labels());
        assertArrayEquals(data.images(), relabeled.images());
        shifted[0] = 0;
        assertEquals(3, relabeled.labels()[0], "the labels are copied, so the caller's array stays the caller's");
        assertNotSame(data.labels(), relabeled.labels());
    }

    @Test
    void cifar100CoarseLabelsFollowTheSelection() {
        List<String> hundred = CifarVariant.CIFAR100.wellKnownClassNames();
        CifarDataset data = new CifarDataset(CifarVariant.CIFAR100, "train", new byte[4 * CifarDataset.IMAGE_BYTES],
                new int[] {10, 20, 30, 40}, new int[] {1, 2, 3, 4}, hundred);
        CifarDataset selected = data.select(new boolean[] {false, true, false, true});
        assertArrayEquals(new int[] {20, 40}, selected.labels());
        assertArrayEquals(new int[] {2, 4}, selected.coarseLabels());
        assertArrayEquals(new int[] {4, 1}, data.select(new int[] {3, 0}).coarseLabels());
        assertArrayEquals(new int[] {1, 2, 3, 4}, data.withLabels(new int[] {0, 0, 0, 99}).coarseLabels());
    }

    @Test
    void badMasksIndicesAndLabelsAreRefusedWithWhatIsWrong() {
        CifarDataset data = Synthetic.patterned(4);
        IllegalArgumentException mask = assertThrows(IllegalArgumentException.class,
                () -> data.select(new boolean[3]));
        assertTrue(mask.getMessage().contains("3 entries") && mask.getMessage().contains("holds 4"), mask.getMessage());
        IllegalArgumentException index = assertThrows(IllegalArgumentException.class,
                () -> data.select(new int[] {0, 4}));
        assertTrue(index.getMessage().contains("index 4") && index.getMessage().contains("0..3"), index.getMessage());
        assertThrows(IllegalArgumentException.class, () -> data.select(new int[] {-1}));
        IllegalArgumentException count = assertThrows(IllegalArgumentException.class,
                () -> data.withLabels(new int[] {1, 2}));
        assertTrue(count.getMessage().contains("2 new labels"), count.getMessage());
        IllegalArgumentException range = assertThrows(IllegalArgumentException.class,
                () -> data.withLabels(new int[] {1, 2, 10, 0}));
        assertTrue(range.getMessage().contains("image 2 has label 10"), range.getMessage());
    }

    /** The batch stream's steps per epoch follow the derived size: 30,000 of 50,000 images at 1,024 give 29. */
    @Test
    void stepsPerEpochFollowTheSizeOfTheDerivedSet() {
        CifarDataset full = new CifarDataset(CifarVariant.CIFAR10, "train", new byte[50_000 * CifarDataset.IMAGE_BYTES],
                new int[50_000], new int[0], CifarVariant.CIFAR10.wellKnownClassNames());
        AugmentSpec aug = new AugmentSpec(2, 0, FlipMode.ALTERNATING);
        assertEquals(48, new TrainingBatches(full, aug, 1024, 0).stepsPerEpoch());
        boolean[] sixtyPercent = new boolean[50_000];
        Arrays.fill(sixtyPercent, 0, 30_000, true);
        CifarDataset subset = full.select(sixtyPercent);
        assertEquals(30_000, subset.size());
        assertEquals(29, new TrainingBatches(subset, aug, 1024, 0).stepsPerEpoch());  // 30,000 // 1,024
    }

    private static boolean[] filled(int n) {
        boolean[] all = new boolean[n];
        Arrays.fill(all, true);
        return all;
    }
}

package airbench.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import airbench.data.AugmentSpec;
import airbench.data.CifarDataset;
import airbench.data.FlipMode;
import airbench.data.Normalization;
import airbench.data.TrainingBatches;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The augmentation check's decoder and verdicts, against augmentations written by hand. */
class AugmentationCheckTest {

    /**
     * Image {@code id} of the coded set, translated by (dy, dx), mirrored once before translating (as
     * the pre-flip does), and with a 12-pixel cutout at (top, left): built pixel by pixel here.
     */
    private static float[] handAugmented(int id, int dy, int dx, int top, int left) {
        byte[] bytes = new byte[CifarDataset.IMAGE_BYTES];
        for (int y = 0; y < 32; y++) {
            for (int x = 0; x < 32; x++) {
                int sourceRow = y + dy;
                int sourceColumn = 31 - (x + dx);  // mirrored image, window offset by dx
                int at = (y * 32 + x) * 3;
                bytes[at] = (byte) (8 * sourceRow);
                bytes[at + 1] = (byte) (8 * sourceColumn);
                bytes[at + 2] = (byte) (id % 256);
            }
        }
        float[] image = Normalization.normalize(bytes);
        for (int y = top; y < top + 12; y++) {
            for (int x = left; x < left + 12; x++) {
                Arrays.fill(image, (y * 32 + x) * 3, (y * 32 + x) * 3 + 3, 0f);
            }
        }
        return image;
    }

    @Test
    void decodesIdentityTranslationMirrorAndCutoutOfAHandMadeImage() {
        // (top 20, left 0) covers the lower-left; the decoder must read around it
        AugmentationCheck.Readout r = AugmentationCheck.decode(handAugmented(700, -1, 2, 20, 0), 0, 700 / 256, 12);
        assertEquals(new AugmentationCheck.Readout(700, -1, 2, true, 20, 0, false), r);
        // a cutout over the centre
        r = AugmentationCheck.decode(handAugmented(5, 2, -2, 10, 10), 0, 0, 12);
        assertEquals(new AugmentationCheck.Readout(5, 2, -2, true, 10, 10, false), r);
    }

    @Test
    void codedImagesEncodeRowColumnAndIdentity() {
        CifarDataset coded = AugmentationCheck.codedImages(600);
        int at = 599 * CifarDataset.IMAGE_BYTES + (7 * 32 + 30) * 3;
        assertEquals(56, coded.images()[at] & 0xFF);
        assertEquals(240, coded.images()[at + 1] & 0xFF);
        assertEquals(599 % 256, coded.images()[at + 2] & 0xFF);
        assertEquals(2, coded.labels()[599]);
    }

    private static List<float[]> epochs(AugmentSpec aug, List<int[]> labels) {
        TrainingBatches batches = new TrainingBatches(AugmentationCheck.codedImages(AugmentationCheck.MAX_CODED), aug,
                512, 7);
        return AugmentationCheck.javaEpochs(batches, 2, labels);
    }

    @Test
    void theTrainersAugmentationOf96FollowsTheMethod() {
        AugmentSpec aug = new AugmentSpec(4, 12, FlipMode.ALTERNATING);
        List<int[]> labels = new ArrayList<>();
        AugmentationCheck.Tally t = AugmentationCheck.tally(epochs(aug, labels), labels, AugmentationCheck.MAX_CODED, aug);
        assertEquals(2 * AugmentationCheck.MAX_CODED, t.images());
        assertEquals(AugmentationCheck.MAX_CODED, t.seenBothWaysInEpochs01());
        assertEquals(0, t.duplicatesOrMissing());
        assertEquals(9, t.rowOffsets().length);
        assertEquals(21, t.cutoutTops().length);
        assertTrue(AugmentationCheck.problems(aug, AugmentationCheck.MAX_CODED, t, t).isEmpty(),
                AugmentationCheck.problems(aug, AugmentationCheck.MAX_CODED, t, t).toString());
    }

    @Test
    void aStreamWithoutTheAlternationOrWithoutTranslationIsCaught() {
        AugmentSpec aug = new AugmentSpec(2, 0, FlipMode.ALTERNATING);
        List<int[]> labels = new ArrayList<>();
        List<float[]> images = epochs(aug, labels);
        // epoch 1 replaced by epoch 0: nothing is seen the other way round
        AugmentationCheck.Tally repeated = AugmentationCheck.tally(List.of(images.get(0), images.get(0)),
                List.of(labels.get(0), labels.get(0)), AugmentationCheck.MAX_CODED, aug);
        assertEquals(0, repeated.seenBothWaysInEpochs01());
        List<String> problems = AugmentationCheck.problems(aug, AugmentationCheck.MAX_CODED, repeated, repeated);
        assertTrue(problems.stream().anyMatch(p -> p.contains("alternating flip showed 0 of 2560")), problems.toString());

        // batches made without translation, judged as translate 2: every offset is 0
        AugmentSpec none = new AugmentSpec(0, 0, FlipMode.ALTERNATING);
        List<int[]> plainLabels = new ArrayList<>();
        AugmentationCheck.Tally plain = AugmentationCheck.tally(epochs(none, plainLabels), plainLabels,
                AugmentationCheck.MAX_CODED, aug);
        assertEquals(2L * AugmentationCheck.MAX_CODED, plain.rowOffsets()[2]);
        problems = AugmentationCheck.problems(aug, AugmentationCheck.MAX_CODED, plain, plain);
        assertTrue(problems.stream().anyMatch(p -> p.contains("row translation not uniform")), problems.toString());
    }

    @Test
    void chiSquareCriticalValuesMatchTheTables() {
        // p = 0.001 critical values of the chi-square distribution (standard tables): df 8 -> 26.12, df 20 -> 45.31
        assertEquals(26.12, AugmentationCheck.chiSquareCritical(8), 0.3);
        assertEquals(45.31, AugmentationCheck.chiSquareCritical(20), 0.3);
        assertEquals(0.0, AugmentationCheck.chiSquareUniform(new long[] {5, 5, 5}));
        assertEquals((4 + 1 + 1) / 5.0, AugmentationCheck.chiSquareUniform(new long[] {3, 6, 6}), 1e-12);
        assertFalse(AugmentationCheck.chiSquareUniform(new long[] {0, 0, 30}) < 50);
    }
}

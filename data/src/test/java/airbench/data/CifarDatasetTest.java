package airbench.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class CifarDatasetTest {
    private static final List<String> TEN = CifarVariant.CIFAR10.wellKnownClassNames();

    private static CifarDataset cifar10(int... labels) {
        byte[] images = new byte[labels.length * CifarDataset.IMAGE_BYTES];
        for (int i = 0; i < labels.length; i++) {
            images[i * CifarDataset.IMAGE_BYTES] = (byte) (i + 1);
        }
        return new CifarDataset(CifarVariant.CIFAR10, "train", images, labels, new int[0], TEN);
    }

    @Test
    void countsImagesPerClass() {
        assertArrayEquals(new int[] {1, 0, 2, 0, 0, 0, 0, 0, 0, 1}, cifar10(2, 0, 9, 2).classCounts());
    }

    @Test
    void firstTakesAPrefix() {
        CifarDataset prefix = cifar10(2, 0, 9, 2).first(2);
        assertArrayEquals(new int[] {2, 0}, prefix.labels());
        assertEquals(2 * CifarDataset.IMAGE_BYTES, prefix.images().length);
        assertEquals(2, prefix.images()[CifarDataset.IMAGE_BYTES]);
        assertThrows(IllegalArgumentException.class, () -> cifar10(1, 2).first(3));
    }

    @Test
    void firstKeepsCifar100CoarseLabels() {
        List<String> hundred = CifarVariant.CIFAR100.wellKnownClassNames();
        CifarDataset data = new CifarDataset(CifarVariant.CIFAR100, "test", new byte[3 * CifarDataset.IMAGE_BYTES],
                new int[] {99, 0, 50}, new int[] {19, 4, 7}, hundred);
        assertArrayEquals(new int[] {19, 4}, data.first(2).coarseLabels());
    }

    @Test
    void summaryIsOneLineWithPerClassCounts() {
        assertEquals("CIFAR-10 train: 4 images; per class airplane 1, automobile 0, bird 2, cat 0, deer 0, dog 0,"
                + " frog 0, horse 0, ship 0, truck 1", cifar10(2, 0, 9, 2).summary());
    }

    @Test
    void rejectsInconsistentArrays() {
        assertThrows(IllegalArgumentException.class, () -> new CifarDataset(CifarVariant.CIFAR10, "train",
                new byte[CifarDataset.IMAGE_BYTES + 1], new int[] {0}, new int[0], TEN));
        assertThrows(IllegalArgumentException.class, () -> new CifarDataset(CifarVariant.CIFAR10, "train",
                new byte[CifarDataset.IMAGE_BYTES], new int[] {10}, new int[0], TEN));
        assertThrows(IllegalArgumentException.class, () -> new CifarDataset(CifarVariant.CIFAR10, "train",
                new byte[CifarDataset.IMAGE_BYTES], new int[] {1}, new int[] {1}, TEN));
        assertThrows(IllegalArgumentException.class, () -> new CifarDataset(CifarVariant.CIFAR10, "train",
                new byte[CifarDataset.IMAGE_BYTES], new int[] {1}, new int[0], List.of("a")));
    }

    @Test
    void variantsDescribeTheOfficialFiles() {
        CifarVariant ten = CifarVariant.CIFAR10;
        CifarVariant hundred = CifarVariant.CIFAR100;
        assertEquals(3073, ten.recordBytes());
        assertEquals(3074, hundred.recordBytes());
        assertEquals(10, ten.numClasses());
        assertEquals(100, hundred.numClasses());
        assertEquals("https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz", ten.officialUrl().toString());
        assertEquals("https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz", hundred.officialUrl().toString());
        assertEquals("c32a1d4ab5d03f1284b67883e8d87530", ten.officialMd5());
        assertEquals("03b5dce01913d631647c71ecec9e9cb8", hundred.officialMd5());
        assertEquals("cifar-10-batches-bin", ten.folderName());
        assertEquals("cifar-100-binary", hundred.folderName());
        assertEquals(List.of("data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin",
                "data_batch_5.bin"), ten.trainFiles());
        assertEquals(List.of("test_batch.bin"), ten.testFiles());
        assertEquals(List.of("train.bin"), hundred.trainFiles());
        assertEquals(List.of("test.bin"), hundred.testFiles());
        assertEquals(new RecordCounts(10_000, 10_000), ten.officialCounts());
        assertEquals(new RecordCounts(50_000, 10_000), hundred.officialCounts());
    }

    @Test
    void wellKnownCifar100NamesAreTheHundredSortedFineLabels() {
        List<String> names = CifarVariant.CIFAR100.wellKnownClassNames();
        assertEquals(100, names.size());
        assertEquals(100, names.stream().distinct().count());
        assertTrue(IntStream.range(1, 100).allMatch(k -> names.get(k - 1).compareTo(names.get(k)) < 0),
                "the official fine-label list is alphabetical");
        assertEquals("apple", names.get(0));
        assertEquals("worm", names.get(99));
    }
}

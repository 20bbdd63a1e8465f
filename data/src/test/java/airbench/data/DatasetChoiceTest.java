package airbench.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class DatasetChoiceTest {

    @Test
    void parsesTheOptionsWithTheirDefaults() {
        assertSame(DatasetChoice.CIFAR10, DatasetChoice.parse(null, null));
        assertSame(DatasetChoice.CIFAR10, DatasetChoice.parse("cifar10", null));
        assertSame(DatasetChoice.CIFAR100, DatasetChoice.parse("cifar100", null));
        assertSame(DatasetChoice.CIFAR100, DatasetChoice.parse("CIFAR100", "fine"));
        assertSame(DatasetChoice.CIFAR100_COARSE, DatasetChoice.parse("cifar100", "Coarse"));
    }

    @Test
    void refusesBadValuesAndLabelsForCifar10() {
        assertEquals("bad value 'svhn' for --dataset; valid values: cifar10, cifar100",
                assertThrows(IllegalArgumentException.class, () -> DatasetChoice.parse("svhn", null)).getMessage());
        assertEquals("bad value 'medium' for --labels; valid values: fine, coarse",
                assertThrows(IllegalArgumentException.class, () -> DatasetChoice.parse("cifar100", "medium"))
                        .getMessage());
        // CIFAR-10 has one label set: --labels with it is a mistake, not something to ignore.
        for (String labels : List.of("fine", "coarse")) {
            assertEquals("--labels applies to --dataset cifar100 only (CIFAR-10 has one set of 10 labels); drop"
                    + " --labels " + labels + ", or add --dataset cifar100", assertThrows(IllegalArgumentException.class,
                    () -> DatasetChoice.parse(null, labels)).getMessage());
        }
    }

    @ParameterizedTest
    @EnumSource(DatasetChoice.class)
    void idsRoundTripAndOptionsSelectTheChoice(DatasetChoice choice) {
        assertEquals(Optional.of(choice), DatasetChoice.fromId(choice.id()));
        String[] words = choice.options().split(" ");
        assertEquals(choice, DatasetChoice.parse(words[1], words.length > 2 ? words[3] : null));
        assertEquals(choice, DatasetChoice.of(choice.variant(), choice.labelSet()));
        assertEquals(choice.numClasses(), choice.wellKnownClassNames().size());
        assertEquals(choice.numClasses(), choice.wellKnownClassNames().stream().distinct().count());
    }

    @Test
    void whatFollowsFromTheChoice() {
        assertEquals(List.of("cifar10", "cifar100", "cifar100-coarse"),
                List.of(DatasetChoice.CIFAR10.id(), DatasetChoice.CIFAR100.id(), DatasetChoice.CIFAR100_COARSE.id()));
        assertEquals(10, DatasetChoice.CIFAR10.numClasses());
        assertEquals(100, DatasetChoice.CIFAR100.numClasses());
        assertEquals(20, DatasetChoice.CIFAR100_COARSE.numClasses());
        assertEquals("batches.meta.txt", DatasetChoice.CIFAR10.classNamesFile());
        assertEquals("fine_label_names.txt", DatasetChoice.CIFAR100.classNamesFile());
        assertEquals("coarse_label_names.txt", DatasetChoice.CIFAR100_COARSE.classNamesFile());
        assertEquals("CIFAR-100 (coarse labels)", DatasetChoice.CIFAR100_COARSE.displayName());
        assertSame(Normalization.CIFAR10, DatasetChoice.CIFAR10.normalization());
        assertSame(Normalization.CIFAR100, DatasetChoice.CIFAR100.normalization());
        // Both label sets label the same images.
        assertSame(Normalization.CIFAR100, DatasetChoice.CIFAR100_COARSE.normalization());
        assertEquals(Optional.empty(), DatasetChoice.fromId("cifar-100"));
        assertThrows(IllegalArgumentException.class, () -> DatasetChoice.of(CifarVariant.CIFAR10, LabelSet.COARSE));
    }

    @Test
    void officialCoarseNamesAreTheTwentySortedSuperclasses() {
        List<String> names = DatasetChoice.CIFAR100_COARSE.wellKnownClassNames();
        assertEquals(20, names.size());
        assertTrue(IntStream.range(1, 20).allMatch(k -> names.get(k - 1).compareTo(names.get(k)) < 0),
                "the official coarse-label list is alphabetical");
        assertEquals("aquatic_mammals", names.get(0));
        assertEquals("vehicles_2", names.get(19));
    }

    @Test
    void aCoarseSplitHoldsTwentyClasses() {
        List<String> names = DatasetChoice.CIFAR100_COARSE.wellKnownClassNames();
        int[] coarse = {19, 0, 7, 19};
        CifarDataset data = new CifarDataset(CifarVariant.CIFAR100, "train", new byte[4 * CifarDataset.IMAGE_BYTES],
                coarse, coarse, names, LabelSet.COARSE);
        assertEquals(DatasetChoice.CIFAR100_COARSE, data.dataset());
        assertEquals(20, data.numClasses());
        int[] counts = new int[20];
        counts[0] = 1;
        counts[7] = 1;
        counts[19] = 2;
        assertArrayEquals(counts, data.classCounts());
        assertTrue(data.summary().startsWith("CIFAR-100 (coarse labels) train: 4 images; per class aquatic_mammals 1,"
                + " fish 0,"), data.summary());
        assertEquals(LabelSet.COARSE, data.first(2).labelSet());

        assertThrows(IllegalArgumentException.class, () -> new CifarDataset(CifarVariant.CIFAR100, "train",
                new byte[CifarDataset.IMAGE_BYTES], new int[] {20}, new int[] {19}, names, LabelSet.COARSE));
        assertThrows(IllegalArgumentException.class, () -> new CifarDataset(CifarVariant.CIFAR100, "train",
                new byte[CifarDataset.IMAGE_BYTES], new int[] {2}, new int[] {2},
                DatasetChoice.CIFAR100.wellKnownClassNames(), LabelSet.COARSE));
        assertThrows(IllegalArgumentException.class, () -> new CifarDataset(CifarVariant.CIFAR10, "train",
                new byte[CifarDataset.IMAGE_BYTES], new int[] {2}, new int[0],
                DatasetChoice.CIFAR10.wellKnownClassNames(), LabelSet.COARSE));
    }
}

package airbench.data;

import static airbench.data.CifarFiles.TEST;
import static airbench.data.CifarFiles.TRAIN;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class CifarReaderTest {
    private static final RecordCounts SMALL = new RecordCounts(3, 4);
    private static final String CIFAR10_REMEDY_ARCHIVE =
            "download cifar-10-binary.tar.gz again from https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz.";
    private static final String CIFAR10_REMEDY_FOLDER =
            "extract it again from cifar-10-binary.tar.gz or point --data-dir at the archive itself.";

    @TempDir
    Path dir;

    /** Checks every pixel and label of a split against the values the fixture wrote. */
    private static void assertSplit(CifarDataset data, CifarVariant variant, int split, int expectedSize) {
        assertEquals(expectedSize, data.size());
        assertEquals(split == TRAIN ? "train" : "test", data.split());
        assertEquals(variant, data.variant());
        byte[] images = data.images();
        for (int i = 0; i < expectedSize; i++) {
            assertEquals(CifarFiles.label(variant, split, i), data.labels()[i], "label of image " + i);
            for (int y = 0; y < 32; y++) {
                for (int x = 0; x < 32; x++) {
                    for (int c = 0; c < 3; c++) {
                        int index = ((i * 32 + y) * 32 + x) * 3 + c;
                        assertEquals(CifarFiles.pixel(split, i, y, x, c), images[index] & 0xFF,
                                "pixel of image " + i + " at y " + y + ", x " + x + ", c " + c);
                    }
                }
            }
        }
        if (variant == CifarVariant.CIFAR100) {
            int[] expected = IntStream.range(0, expectedSize).map(i -> CifarFiles.coarse(split, i)).toArray();
            assertArrayEquals(expected, data.coarseLabels());
        } else {
            assertEquals(0, data.coarseLabels().length);
        }
    }

    private static List<String> customNames(CifarVariant variant) {
        return IntStream.range(0, variant.numClasses()).mapToObj(k -> "class-" + k).toList();
    }

    private Map<String, byte[]> withNames(CifarVariant variant, RecordCounts counts) {
        Map<String, byte[]> files = CifarFiles.dataFiles(variant, counts);
        files.put(variant.classNamesFile(), CifarFiles.namesFile(customNames(variant)));
        return files;
    }

    @ParameterizedTest
    @EnumSource(CifarVariant.class)
    void readsTheOfficialArchiveLayout(CifarVariant variant) throws IOException {
        Path archive = dir.resolve(variant.archiveFileName());
        CifarFiles.writeArchive(archive, variant.folderName(), withNames(variant, SMALL));

        CifarData data = CifarReader.read(archive, variant, SMALL);

        assertSplit(data.train(), variant, TRAIN, variant.trainFiles().size() * 3);
        assertSplit(data.test(), variant, TEST, 4);
        assertEquals(customNames(variant), data.train().classNames());
        assertEquals(customNames(variant), data.test().classNames());
    }

    @Test
    void readsArchiveMembersInAnyOrder() throws IOException {
        Map<String, byte[]> inOrder = CifarFiles.dataFiles(CifarVariant.CIFAR10, SMALL);
        Map<String, byte[]> reversed = new LinkedHashMap<>();
        List<String> names = List.copyOf(inOrder.keySet());
        for (int k = names.size() - 1; k >= 0; k--) {
            reversed.put(names.get(k), inOrder.get(names.get(k)));
        }
        Path archive = dir.resolve("shuffled.tar.gz");
        CifarFiles.writeArchive(archive, "cifar-10-batches-bin", reversed);

        CifarData data = CifarReader.read(archive, CifarVariant.CIFAR10, SMALL);

        assertSplit(data.train(), CifarVariant.CIFAR10, TRAIN, 15);
        assertSplit(data.test(), CifarVariant.CIFAR10, TEST, 4);
    }

    @ParameterizedTest
    @EnumSource(CifarVariant.class)
    void readsExtractedFilesDirectlyInTheFolder(CifarVariant variant) throws IOException {
        CifarFiles.writeFolder(dir, withNames(variant, SMALL));

        CifarData data = CifarReader.read(dir, variant, SMALL);

        assertSplit(data.train(), variant, TRAIN, variant.trainFiles().size() * 3);
        assertSplit(data.test(), variant, TEST, 4);
        assertEquals(customNames(variant), data.train().classNames());
    }

    @ParameterizedTest
    @EnumSource(CifarVariant.class)
    void readsExtractedFilesInTheArchivesSubfolderWithWellKnownNames(CifarVariant variant) throws IOException {
        CifarFiles.writeFolder(dir.resolve(variant.folderName()), CifarFiles.dataFiles(variant, SMALL));

        CifarData data = CifarReader.read(dir, variant, SMALL);

        assertSplit(data.train(), variant, TRAIN, variant.trainFiles().size() * 3);
        assertSplit(data.test(), variant, TEST, 4);
        assertEquals(variant.wellKnownClassNames(), data.test().classNames());
    }

    @Test
    void readsTheArchiveInsideAFolder() throws IOException {
        CifarFiles.writeArchive(dir.resolve("cifar-10-binary.tar.gz"), "cifar-10-batches-bin",
                CifarFiles.dataFiles(CifarVariant.CIFAR10, SMALL));

        CifarData data = CifarReader.read(dir, CifarVariant.CIFAR10, SMALL);

        assertSplit(data.train(), CifarVariant.CIFAR10, TRAIN, 15);
        assertEquals(List.of("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
                "truck"), data.train().classNames());
    }

    @Test
    void refusesAMissingPath() {
        Path missing = dir.resolve("nowhere");
        DataException e = assertThrows(DataException.class, () -> CifarReader.read(missing, CifarVariant.CIFAR10));
        assertEquals(missing + " does not exist. Point --data-dir (or AIRBENCH_DATA) at cifar-10-binary.tar.gz"
                + " or at the folder holding the extracted CIFAR-10 files.", e.getMessage());
    }

    @Test
    void refusesAFolderWithoutData() {
        DataException e = assertThrows(DataException.class, () -> CifarReader.read(dir, CifarVariant.CIFAR10));
        assertEquals(dir + ": holds no CIFAR-10 data (expected cifar-10-binary.tar.gz or the extracted files"
                + " (data_batch_1.bin, data_batch_2.bin, data_batch_3.bin, data_batch_4.bin, data_batch_5.bin,"
                + " test_batch.bin) directly or in cifar-10-batches-bin/). Point --data-dir at"
                + " cifar-10-binary.tar.gz or at the folder holding the extracted files.", e.getMessage());
    }

    @Test
    void refusesAFolderWithMissingFiles() throws IOException {
        Map<String, byte[]> files = CifarFiles.dataFiles(CifarVariant.CIFAR10, SMALL);
        files.remove("data_batch_4.bin");
        files.remove("test_batch.bin");
        CifarFiles.writeFolder(dir, files);

        DataException e = assertThrows(DataException.class, () -> CifarReader.read(dir, CifarVariant.CIFAR10, SMALL));
        assertEquals(dir + ": missing data_batch_4.bin, test_batch.bin of the extracted CIFAR-10 files."
                + " Extract cifar-10-binary.tar.gz again, or point --data-dir at the archive itself.", e.getMessage());
    }

    @Test
    void refusesAFileThatIsNotAWholeNumberOfRecords() throws IOException {
        Map<String, byte[]> files = CifarFiles.dataFiles(CifarVariant.CIFAR10, SMALL);
        files.put("data_batch_2.bin", Arrays.copyOf(files.get("data_batch_2.bin"), 3 * 3073 - 100));
        CifarFiles.writeFolder(dir, files);

        DataException e = assertThrows(DataException.class, () -> CifarReader.read(dir, CifarVariant.CIFAR10, SMALL));
        assertEquals(dir.resolve("data_batch_2.bin") + ": size 9119 bytes is not a whole number of 3073-byte"
                + " CIFAR-10 records (2 records and 2973 bytes). The file is truncated or corrupt: "
                + CIFAR10_REMEDY_FOLDER, e.getMessage());
    }

    @Test
    void refusesATruncatedMemberOfAnArchive() throws IOException {
        Map<String, byte[]> files = CifarFiles.dataFiles(CifarVariant.CIFAR10, SMALL);
        files.put("test_batch.bin", Arrays.copyOf(files.get("test_batch.bin"), 4 * 3073 + 1));
        Path archive = dir.resolve("cifar-10-binary.tar.gz");
        CifarFiles.writeArchive(archive, "cifar-10-batches-bin", files);

        DataException e = assertThrows(DataException.class,
                () -> CifarReader.read(archive, CifarVariant.CIFAR10, SMALL));
        assertEquals("cifar-10-batches-bin/test_batch.bin in " + archive + ": size 12293 bytes is not a whole"
                + " number of 3073-byte CIFAR-10 records (4 records and 1 bytes). The file is truncated or corrupt: "
                + CIFAR10_REMEDY_ARCHIVE, e.getMessage());
    }

    @Test
    void refusesATrainingFileWithTheWrongRecordCount() throws IOException {
        Map<String, byte[]> files = CifarFiles.dataFiles(CifarVariant.CIFAR10, SMALL);
        files.put("data_batch_3.bin", CifarFiles.records(CifarVariant.CIFAR10, TRAIN, 6, 2));
        CifarFiles.writeFolder(dir, files);

        DataException e = assertThrows(DataException.class, () -> CifarReader.read(dir, CifarVariant.CIFAR10, SMALL));
        assertEquals(dir.resolve("data_batch_3.bin") + ": holds 2 records, but a CIFAR-10 training file holds 3."
                + " The file is incomplete or not an official CIFAR-10 file: " + CIFAR10_REMEDY_FOLDER,
                e.getMessage());
    }

    @Test
    void refusesAnOfficialSizedCopyWithOneRecordMissing() throws IOException {
        // The default counts (10,000 per file) apply when none are given.
        CifarFiles.writeFolder(dir, Map.of(
                "data_batch_1.bin", new byte[9_999 * 3073],
                "data_batch_2.bin", new byte[0], "data_batch_3.bin", new byte[0], "data_batch_4.bin", new byte[0],
                "data_batch_5.bin", new byte[0], "test_batch.bin", new byte[0]));

        DataException e = assertThrows(DataException.class, () -> CifarReader.read(dir, CifarVariant.CIFAR10));
        assertEquals(dir.resolve("data_batch_1.bin") + ": holds 9999 records, but a CIFAR-10 training file holds"
                + " 10000. The file is incomplete or not an official CIFAR-10 file: " + CIFAR10_REMEDY_FOLDER,
                e.getMessage());
    }

    @Test
    void refusesATestFileWithTheWrongRecordCount() throws IOException {
        Map<String, byte[]> files = CifarFiles.dataFiles(CifarVariant.CIFAR100, SMALL);
        files.put("test.bin", CifarFiles.records(CifarVariant.CIFAR100, TEST, 0, 5));
        Path archive = dir.resolve("cifar-100-binary.tar.gz");
        CifarFiles.writeArchive(archive, "cifar-100-binary", files);

        DataException e = assertThrows(DataException.class,
                () -> CifarReader.read(archive, CifarVariant.CIFAR100, SMALL));
        assertEquals("cifar-100-binary/test.bin in " + archive + ": holds 5 records, but a CIFAR-100 test file"
                + " holds 4. The file is incomplete or not an official CIFAR-100 file: download"
                + " cifar-100-binary.tar.gz again from https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz.",
                e.getMessage());
    }

    @Test
    void refusesALabelOutsideTheClassRange() throws IOException {
        Map<String, byte[]> files = CifarFiles.dataFiles(CifarVariant.CIFAR10, SMALL);
        files.get("test_batch.bin")[2 * 3073] = 10;
        CifarFiles.writeFolder(dir, files);

        DataException e = assertThrows(DataException.class, () -> CifarReader.read(dir, CifarVariant.CIFAR10, SMALL));
        assertEquals(dir.resolve("test_batch.bin") + ": record 2 (counting from 0) has label 10, outside 0..9."
                + " The file is corrupt or not a CIFAR-10 file: " + CIFAR10_REMEDY_FOLDER, e.getMessage());
    }

    @Test
    void refusesCifar100LabelsOutsideTheirRanges() throws IOException {
        Map<String, byte[]> files = CifarFiles.dataFiles(CifarVariant.CIFAR100, SMALL);
        files.get("train.bin")[1 * 3074 + 1] = (byte) 200; // fine label of record 1
        CifarFiles.writeFolder(dir, files);
        DataException fine = assertThrows(DataException.class,
                () -> CifarReader.read(dir, CifarVariant.CIFAR100, SMALL));
        String remedy = "extract it again from cifar-100-binary.tar.gz or point --data-dir at the archive itself.";
        assertEquals(dir.resolve("train.bin") + ": record 1 (counting from 0) has fine label 200, outside 0..99."
                + " The file is corrupt or not a CIFAR-100 file: " + remedy, fine.getMessage());

        files = CifarFiles.dataFiles(CifarVariant.CIFAR100, SMALL);
        files.get("test.bin")[3 * 3074] = 20; // coarse label of record 3
        CifarFiles.writeFolder(dir, files);
        DataException coarse = assertThrows(DataException.class,
                () -> CifarReader.read(dir, CifarVariant.CIFAR100, SMALL));
        assertEquals(dir.resolve("test.bin") + ": record 3 (counting from 0) has coarse label 20, outside 0..19."
                + " The file is corrupt or not a CIFAR-100 file: " + remedy, coarse.getMessage());
    }

    @Test
    void refusesAnArchiveWithoutTheExpectedMembers() throws IOException {
        Map<String, byte[]> files = CifarFiles.dataFiles(CifarVariant.CIFAR10, SMALL);
        files.remove("data_batch_2.bin");
        files.remove("data_batch_5.bin");
        Path archive = dir.resolve("cifar-10-binary.tar.gz");
        CifarFiles.writeArchive(archive, "cifar-10-batches-bin", files);

        DataException e = assertThrows(DataException.class,
                () -> CifarReader.read(archive, CifarVariant.CIFAR10, SMALL));
        assertEquals(archive + ": the archive lacks data_batch_2.bin, data_batch_5.bin (expected CIFAR-10 binary"
                + " files under cifar-10-batches-bin/). It is not a complete cifar-10-binary.tar.gz: "
                + CIFAR10_REMEDY_ARCHIVE, e.getMessage());
    }

    @Test
    void recognizesACifar100ArchiveGivenAsCifar10() throws IOException {
        Path archive = dir.resolve("data.tar.gz");
        CifarFiles.writeArchive(archive, "cifar-100-binary", CifarFiles.dataFiles(CifarVariant.CIFAR100, SMALL));

        DataException e = assertThrows(DataException.class,
                () -> CifarReader.read(archive, CifarVariant.CIFAR10, SMALL));
        assertEquals(archive + ": holds test.bin, train.bin instead of data_batch_1.bin, data_batch_2.bin,"
                + " data_batch_3.bin, data_batch_4.bin, data_batch_5.bin, test_batch.bin; this looks like CIFAR-100,"
                + " not CIFAR-10. Choose the CIFAR-100 dataset (--dataset cifar100), or point to"
                + " cifar-10-binary.tar.gz.", e.getMessage());
    }

    @Test
    void recognizesCifar100FilesInAFolderGivenAsCifar10() throws IOException {
        CifarFiles.writeFolder(dir.resolve("cifar-100-binary"), CifarFiles.dataFiles(CifarVariant.CIFAR100, SMALL));

        DataException e = assertThrows(DataException.class, () -> CifarReader.read(dir, CifarVariant.CIFAR10, SMALL));
        assertTrue(e.getMessage().startsWith(dir + ": holds CIFAR-100 files instead of CIFAR-10 files;"
                + " this looks like CIFAR-100, not CIFAR-10."), e.getMessage());
    }

    @Test
    void recognizesCifar100RecordsByTheirSize() throws IOException {
        Map<String, byte[]> files = CifarFiles.dataFiles(CifarVariant.CIFAR10, SMALL);
        // 3 CIFAR-100 records (3 * 3074 bytes): divisible by 3074 but not by 3073.
        files.put("data_batch_1.bin", CifarFiles.records(CifarVariant.CIFAR100, TRAIN, 0, 3));
        CifarFiles.writeFolder(dir, files);

        DataException e = assertThrows(DataException.class, () -> CifarReader.read(dir, CifarVariant.CIFAR10, SMALL));
        assertEquals(dir.resolve("data_batch_1.bin") + ": size 9222 bytes is a whole number of 3074-byte CIFAR-100"
                + " records but not of 3073-byte CIFAR-10 records; this looks like CIFAR-100, not CIFAR-10."
                + " Choose the CIFAR-100 dataset (--dataset cifar100), or point to cifar-10-binary.tar.gz.",
                e.getMessage());
    }

    @Test
    void recognizesCifar10GivenAsCifar100() throws IOException {
        Path archive = dir.resolve("cifar-10-binary.tar.gz");
        CifarFiles.writeArchive(archive, "cifar-10-batches-bin", CifarFiles.dataFiles(CifarVariant.CIFAR10, SMALL));

        DataException e = assertThrows(DataException.class,
                () -> CifarReader.read(archive, CifarVariant.CIFAR100, SMALL));
        assertTrue(e.getMessage().contains("this looks like CIFAR-10, not CIFAR-100"), e.getMessage());
    }

    @Test
    void refusesAFileThatIsNotAnArchive() throws IOException {
        Path single = dir.resolve("data_batch_1.bin");
        Files.write(single, CifarFiles.records(CifarVariant.CIFAR10, TRAIN, 0, 3));

        DataException e = assertThrows(DataException.class, () -> CifarReader.read(single, CifarVariant.CIFAR10));
        assertEquals(single + ": is not a gzip-compressed tar archive. Point --data-dir at cifar-10-binary.tar.gz"
                + " or at the folder holding the extracted files (not at a single file inside it).", e.getMessage());
    }

    @Test
    void refusesATruncatedArchive() throws IOException {
        Path complete = dir.resolve("complete.tar.gz");
        CifarFiles.writeArchive(complete, "cifar-10-batches-bin", CifarFiles.dataFiles(CifarVariant.CIFAR10, SMALL));
        byte[] bytes = Files.readAllBytes(complete);
        Path cut = dir.resolve("cifar-10-binary.tar.gz");
        Files.write(cut, Arrays.copyOf(bytes, bytes.length / 2));

        DataException e = assertThrows(DataException.class, () -> CifarReader.read(cut, CifarVariant.CIFAR10, SMALL));
        assertTrue(e.getMessage().startsWith(cut.toString()) || e.getMessage().contains(" in " + cut + ": "),
                e.getMessage());
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        assertTrue(e.getMessage().endsWith(CIFAR10_REMEDY_ARCHIVE), e.getMessage());
    }

    @Test
    void refusesANamesFileWithTheWrongNumberOfNames() throws IOException {
        Map<String, byte[]> files = CifarFiles.dataFiles(CifarVariant.CIFAR10, SMALL);
        files.put("batches.meta.txt", CifarFiles.namesFile(List.of("cat", "dog")));
        CifarFiles.writeFolder(dir, files);

        DataException e = assertThrows(DataException.class, () -> CifarReader.read(dir, CifarVariant.CIFAR10, SMALL));
        assertEquals(dir.resolve("batches.meta.txt") + ": lists 2 class names, CIFAR-10 has 10. The file is"
                + " corrupt: extract it again, or delete it to use the well-known CIFAR-10 class names.",
                e.getMessage());
    }

    private static List<String> customCoarseNames() {
        return IntStream.range(0, 20).mapToObj(k -> "super-" + k).toList();
    }

    /** The coarse split: the same images, the first label byte as the label, the coarse names. */
    private static void assertCoarseSplit(CifarDataset data, int split, int expectedSize, List<String> names) {
        assertEquals(DatasetChoice.CIFAR100_COARSE, data.dataset());
        assertEquals(LabelSet.COARSE, data.labelSet());
        assertEquals(expectedSize, data.size());
        for (int i = 0; i < expectedSize; i++) {
            assertEquals(CifarFiles.coarse(split, i), data.labels()[i], "coarse label of image " + i);
            assertEquals(CifarFiles.coarse(split, i), data.coarseLabels()[i]);
            assertEquals(CifarFiles.pixel(split, i, 5, 7, 2), data.images()[((i * 32 + 5) * 32 + 7) * 3 + 2] & 0xFF);
        }
        assertEquals(names, data.classNames());
    }

    @Test
    void readsCoarseLabelsWithTheirNamesFromTheArchive() throws IOException {
        Map<String, byte[]> files = CifarFiles.dataFiles(CifarVariant.CIFAR100, SMALL);
        files.put("fine_label_names.txt", CifarFiles.namesFile(customNames(CifarVariant.CIFAR100)));
        files.put("coarse_label_names.txt", CifarFiles.namesFile(customCoarseNames()));
        Path archive = dir.resolve("cifar-100-binary.tar.gz");
        CifarFiles.writeArchive(archive, "cifar-100-binary", files);

        CifarData coarse = CifarReader.read(archive, DatasetChoice.CIFAR100_COARSE, SMALL);
        assertCoarseSplit(coarse.train(), TRAIN, 3, customCoarseNames());
        assertCoarseSplit(coarse.test(), TEST, 4, customCoarseNames());

        // The fine choice reads the same files with the fine labels and names.
        CifarData fine = CifarReader.read(archive, DatasetChoice.CIFAR100, SMALL);
        assertSplit(fine.train(), CifarVariant.CIFAR100, TRAIN, 3);
        assertEquals(customNames(CifarVariant.CIFAR100), fine.test().classNames());
        assertEquals(DatasetChoice.CIFAR100, fine.test().dataset());
    }

    @Test
    void readsCoarseLabelsFromAFolderWithTheOfficialNamesWhenItHasNoNamesFile() throws IOException {
        // As ../shared/data's build script writes it: the data files without the names files.
        CifarFiles.writeFolder(dir.resolve("cifar-100-binary"), CifarFiles.dataFiles(CifarVariant.CIFAR100, SMALL));

        CifarData coarse = CifarReader.read(dir, DatasetChoice.CIFAR100_COARSE, SMALL);

        assertCoarseSplit(coarse.train(), TRAIN, 3, DatasetChoice.CIFAR100_COARSE.wellKnownClassNames());
        assertEquals(List.of("aquatic_mammals", "fish"), coarse.test().classNames().subList(0, 2));
    }

    @Test
    void refusesACoarseNamesFileWithTheWrongNumberOfNames() throws IOException {
        Map<String, byte[]> files = CifarFiles.dataFiles(CifarVariant.CIFAR100, SMALL);
        files.put("coarse_label_names.txt", CifarFiles.namesFile(List.of("fish", "trees", "people")));
        CifarFiles.writeFolder(dir, files);

        DataException e = assertThrows(DataException.class,
                () -> CifarReader.read(dir, DatasetChoice.CIFAR100_COARSE, SMALL));
        assertEquals(dir.resolve("coarse_label_names.txt") + ": lists 3 class names, CIFAR-100 (coarse labels) has"
                + " 20. The file is corrupt: extract it again, or delete it to use the well-known CIFAR-100 (coarse"
                + " labels) class names.", e.getMessage());
        // The fine choice does not read the coarse names file.
        assertEquals(CifarVariant.CIFAR100.wellKnownClassNames(),
                CifarReader.read(dir, DatasetChoice.CIFAR100, SMALL).train().classNames());
    }

    @Test
    void refusesCifar10DataForTheCoarseChoiceNamingTheDataset() throws IOException {
        CifarFiles.writeFolder(dir, CifarFiles.dataFiles(CifarVariant.CIFAR10, SMALL));

        DataException e = assertThrows(DataException.class,
                () -> CifarReader.read(dir, DatasetChoice.CIFAR100_COARSE, SMALL));
        assertTrue(e.getMessage().contains("this looks like CIFAR-10, not CIFAR-100. Choose the CIFAR-10 dataset"
                + " (--dataset cifar10)"), e.getMessage());
    }
}

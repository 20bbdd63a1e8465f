package airbench.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Reads the real CIFAR-100 (once for the class) and checks it against the official figures and
 * this project's normalization constants. CI has no CIFAR-100, so every test here is skipped, with
 * the reason shown, where the data is not found: under the folder of system property
 * {@code airbench.shared.data}, {@code AIRBENCH_DATA}, or the default cache {@code ~/.cache/airbench}
 * (where ../shared/data/README.md's build script writes it), as the archive or the extracted files.
 */
class RealCifar100Test {
    private static final String WHERE = "system property airbench.shared.data, environment variable AIRBENCH_DATA"
            + " or " + DataLocator.defaultCache();
    private static CifarData data;

    static Optional<Path> cifar100() {
        List<Path> folders = new ArrayList<>();
        for (String folder : new String[] {System.getProperty("airbench.shared.data"), System.getenv("AIRBENCH_DATA")}) {
            if (folder != null && !folder.isBlank()) {
                folders.add(Path.of(folder));
            }
        }
        folders.add(DataLocator.defaultCache());
        for (Path folder : folders) {
            if (Files.isRegularFile(folder) && folder.getFileName().toString().equals(CifarVariant.CIFAR100
                    .archiveFileName())) {
                return Optional.of(folder);
            }
            Optional<Path> found = CifarSources.find(folder, CifarVariant.CIFAR100);
            if (found.isPresent()) {
                return found;
            }
        }
        return Optional.empty();
    }

    @BeforeAll
    static void readOnce() {
        cifar100().ifPresent(source -> data = CifarReader.read(source, DatasetChoice.CIFAR100));
    }

    private static void assumeData() {
        assumeTrue(data != null, "no CIFAR-100 (cifar-100-binary.tar.gz or cifar-100-binary/) found via " + WHERE
                + "; the real CIFAR-100 checks are skipped (../shared/data/README.md, section CIFAR-100, says how"
                + " to build it)");
    }

    @Test
    void hasTheOfficialCountsPerFineAndCoarseClass() {
        assumeData();
        assertEquals(50_000, data.train().size());
        assertEquals(10_000, data.test().size());
        int[] fine = new int[100];
        Arrays.fill(fine, 500);
        assertArrayEquals(fine, data.train().classCounts());
        Arrays.fill(fine, 100);
        assertArrayEquals(fine, data.test().classCounts());
        int[] coarse = new int[20];
        for (int label : data.train().coarseLabels()) {
            coarse[label]++;
        }
        int[] expected = new int[20];
        Arrays.fill(expected, 2_500);
        assertArrayEquals(expected, coarse);

        // Every fine class lies in exactly one superclass, five fine classes in each.
        int[] superclass = new int[100];
        Arrays.fill(superclass, -1);
        for (CifarDataset split : List.of(data.train(), data.test())) {
            for (int i = 0; i < split.size(); i++) {
                int f = split.labels()[i];
                if (superclass[f] < 0) {
                    superclass[f] = split.coarseLabels()[i];
                }
                assertEquals(superclass[f], split.coarseLabels()[i], "fine class " + f + " in two superclasses");
            }
        }
        int[] perSuperclass = new int[20];
        for (int s : superclass) {
            perSuperclass[s]++;
        }
        Arrays.fill(expected, 5);
        assertArrayEquals(expected, perSuperclass);
    }

    @Test
    void theNormalizationConstantsAreTheTrainingSetsStatisticsRounded() {
        assumeData();
        Normalization measured = Normalization.measure(data.train().images());
        for (int c = 0; c < 3; c++) {
            assertEquals(Normalization.CIFAR100.mean()[c], measured.mean()[c], 5e-5, "mean of channel " + c);
            assertEquals(Normalization.CIFAR100.std()[c], measured.std()[c], 5e-5, "std of channel " + c);
        }
    }

    @Test
    void theBuiltInNamesAreTheOfficialFiles() throws IOException {
        String shared = System.getProperty("airbench.shared.data");
        Path folder = shared == null ? null : Path.of(shared, "cifar100");
        assumeTrue(folder != null && Files.isRegularFile(folder.resolve("fine_label_names.txt"))
                        && Files.isRegularFile(folder.resolve("coarse_label_names.txt")),
                "the official names files (../shared/data/cifar100/*_label_names.txt via system property"
                        + " airbench.shared.data) are not here; skipped");
        for (DatasetChoice choice : List.of(DatasetChoice.CIFAR100, DatasetChoice.CIFAR100_COARSE)) {
            List<String> official = Files.readAllLines(folder.resolve(choice.classNamesFile())).stream()
                    .map(String::strip).filter(line -> !line.isEmpty()).toList();
            assertEquals(official, choice.wellKnownClassNames(), choice.classNamesFile());
        }
    }
}

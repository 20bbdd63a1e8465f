package airbench.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Reads the real CIFAR-10 archive of the shared data folder (once for the
 * class) and checks it against the well-known figures. Skipped, with the reason
 * shown, where the archive is not available.
 */
class RealCifar10Test {
    private static CifarData data;

    private static Optional<Path> sharedArchive() {
        for (String folder : new String[] {System.getProperty("airbench.shared.data"), System.getenv("AIRBENCH_DATA")}) {
            if (folder != null && !folder.isBlank()) {
                Path candidate = Path.of(folder);
                Path archive = Files.isDirectory(candidate)
                        ? candidate.resolve(CifarVariant.CIFAR10.archiveFileName()) : candidate;
                if (Files.isRegularFile(archive)) {
                    return Optional.of(archive);
                }
            }
        }
        return Optional.empty();
    }

    @BeforeAll
    static void readOnce() {
        Optional<Path> archive = sharedArchive();
        if (archive.isPresent()) {
            data = CifarReader.read(archive.get(), CifarVariant.CIFAR10);
        }
    }

    private static void assumeData() {
        assumeTrue(data != null, "no cifar-10-binary.tar.gz found via system property airbench.shared.data"
                + " or environment variable AIRBENCH_DATA; the real-data checks are skipped");
    }

    @Test
    void realArchiveHasTheOfficialCountsAndChannelMeans() {
        assumeData();
        assertEquals(50_000, data.train().size());
        assertEquals(10_000, data.test().size());
        int[] fiveThousand = new int[10];
        int[] oneThousand = new int[10];
        Arrays.fill(fiveThousand, 5_000);
        Arrays.fill(oneThousand, 1_000);
        assertArrayEquals(fiveThousand, data.train().classCounts());
        assertArrayEquals(oneThousand, data.test().classCounts());
        assertEquals(CifarVariant.CIFAR10.wellKnownClassNames(), data.train().classNames());

        double[] sum = new double[3];
        byte[] images = data.train().images();
        for (int i = 0; i < images.length; i++) {
            sum[i % 3] += images[i] & 0xFF;
        }
        double perChannel = images.length / 3.0;
        assertEquals(125.31, sum[0] / perChannel, 0.005);
        assertEquals(122.95, sum[1] / perChannel, 0.005);
        assertEquals(113.87, sum[2] / perChannel, 0.005);
    }

    @Test
    void airbench94BatchesOfTheRealTrainingSet() {
        assumeData();
        TrainingBatches batches = new TrainingBatches(data.train(), new AugmentSpec(2, 0, FlipMode.ALTERNATING),
                1024, 0);
        assertEquals(48, batches.stepsPerEpoch()); // 50,000 // 1,024, as docs/METHOD.md says
        for (int epoch = 0; epoch < 8; epoch++) {
            Batch batch = batches.batch(epoch, 47);
            assertEquals(1024, batch.size());
        }
    }
}

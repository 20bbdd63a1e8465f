package airbench.train.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import airbench.data.CifarData;
import airbench.data.CifarDataset;
import airbench.data.CifarVariant;
import airbench.model.CpuFeatures;
import airbench.model.ExecutionPlan;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The experiment's own computations: confidences, the two subsets, the confidences file, resuming a folder. */
class DataSelectionTest {

    /**
     * The reference selection, computed another way: image i is among the {@code count} least confident iff
     * fewer than {@code count} images come before it, an image j coming before i when its confidence is lower,
     * or equal with a lower index.
     */
    private static boolean[] byRank(double[] confidence, int count) {
        boolean[] mask = new boolean[confidence.length];
        for (int i = 0; i < confidence.length; i++) {
            int before = 0;
            for (int j = 0; j < confidence.length; j++) {
                if (confidence[j] < confidence[i] || (confidence[j] == confidence[i] && j < i)) {
                    before++;
                }
            }
            mask[i] = before < count;
        }
        return mask;
    }

    @Test
    void theLowestConfidenceSetIsTheOneARankingGivesTiesIncluded() {
        SplittableRandom random = new SplittableRandom(4);
        for (int trial = 0; trial < 20; trial++) {
            int n = 1 + random.nextInt(300);
            double[] confidence = new double[n];
            for (int i = 0; i < n; i++) {
                // Few distinct values, so that most images tie with others (zero as -0.0, as -log(1) gives it).
                confidence[i] = trial % 2 == 0 ? -random.nextInt(6) * 0.25 : -Math.abs(random.nextGaussian());
            }
            for (int count : new int[] {0, 1, n / 3, DataSelection.subsetSize(n, 0.6), n - 1, n}) {
                if (count < 0) {
                    continue;
                }
                boolean[] selected = DataSelection.lowestConfidence(confidence, count);
                assertArrayEquals(byRank(confidence, count), selected, "trial " + trial + ", " + count + " of " + n);
                int chosen = 0;
                for (boolean s : selected) {
                    chosen += s ? 1 : 0;
                }
                assertEquals(count, chosen);
            }
        }
    }

    @Test
    void tiesGoToTheLowerIndex() {
        double[] confidence = {-0.5, -1.0, -0.5, -0.5, -2.0};
        assertArrayEquals(new boolean[] {true, true, false, false, true}, DataSelection.lowestConfidence(confidence, 3));
        assertArrayEquals(new boolean[] {true, true, true, false, true}, DataSelection.lowestConfidence(confidence, 4));
    }

    @Test
    void confidenceIsTheLargestLogSoftmaxValue() {
        float[] logits = {2f, 0f, 0f, /* */ 0f, 0f, 0f, /* */ -1f, 5f, 1000f, /* */ -3f, -3f, -1e4f};
        double[] confidence = DataSelection.confidences(logits, 3);
        assertEquals(4, confidence.length);
        assertEquals(Math.log(Math.exp(2) / (Math.exp(2) + 2)), confidence[0], 1e-12);
        assertEquals(Math.log(1.0 / 3), confidence[1], 1e-12);
        assertEquals(0.0, confidence[2], 1e-12);  // exp(1000) would overflow if computed directly
        assertEquals(Math.log(0.5), confidence[3], 1e-12);
    }

    @Test
    void theRandomSubsetHasTheSizeAndDependsOnlyOnItsSeed() {
        boolean[] a = DataSelection.randomSubset(50_000, 30_000, 7);
        assertEquals(30_000, count(a));
        assertArrayEquals(a, DataSelection.randomSubset(50_000, 30_000, 7));
        assertFalse(java.util.Arrays.equals(a, DataSelection.randomSubset(50_000, 30_000, 8)));
        assertEquals(30_000, DataSelection.subsetSize(50_000, 0.6));
        // Every image is equally likely: over 4,000 draws of 3 of 10, each is chosen about 1,200 times
        // (binomial sd about 29; 6 sd either side).
        int[] chosen = new int[10];
        for (long seed = 0; seed < 4000; seed++) {
            boolean[] mask = DataSelection.randomSubset(10, 3, seed);
            assertEquals(3, count(mask));
            for (int i = 0; i < 10; i++) {
                chosen[i] += mask[i] ? 1 : 0;
            }
        }
        for (int i = 0; i < 10; i++) {
            assertTrue(Math.abs(chosen[i] - 1200) < 175, "image " + i + " chosen " + chosen[i] + " times of 4,000");
        }
    }

    @Test
    void theConfidencesFileReadsBackExactlyAndOnlyForItsTrainingSet(@TempDir Path dir) throws Exception {
        CifarDataset train = new CifarDataset(CifarVariant.CIFAR10, "train", new byte[4 * CifarDataset.IMAGE_BYTES],
                new int[] {3, 1, 4, 1}, new int[0], CifarVariant.CIFAR10.wellKnownClassNames());
        double[] confidence = {-0.1, -1.0 / 3, -2.5e-9, Math.log(0.7)};
        Path file = dir.resolve(DataSelection.CONFIDENCES_CSV);
        DataSelection.writeConfidences(file, confidence, train);
        assertArrayEquals(confidence, DataSelection.readConfidences(file, train), 0.0);
        assertEquals("index,label,confidence", Files.readAllLines(file).get(0));
        CifarDataset other = train.withLabels(new int[] {3, 1, 4, 2});
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> DataSelection.readConfidences(file, other));
        assertTrue(e.getMessage().contains("training image 3"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> DataSelection.readConfidences(file, train.first(3)));
    }

    /** The settings of the planted folder below, with another fraction and folder when given. */
    private static DataSelection.Settings settings(Path data, double fraction, Path out) {
        return new DataSelection.Settings(3, 2, fraction, 1, 2, 2048, 0,
                ExecutionPlan.resolve("fp32", "none", CpuFeatures.detect()), 2, Optional.of(data), out);
    }

    @Test
    void settingsOutOfRangeAreRefusedNamingTheSetting() {
        ExecutionPlan fp32 = ExecutionPlan.resolve("fp32", "none", CpuFeatures.detect());
        IllegalArgumentException fraction = assertThrows(IllegalArgumentException.class,
                () -> new DataSelection.Settings(0, 1, 1.5, 16, 9.9, 0, 2, fp32, 1, Optional.empty(), Path.of("x")));
        assertTrue(fraction.getMessage().contains("fraction"), fraction.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> new DataSelection.Settings(0, 0, 0.6, 16, 9.9, 0, 2, fp32, 1, Optional.empty(), Path.of("x")));
        assertThrows(IllegalArgumentException.class,
                () -> new DataSelection.Settings(0, 1, 0.6, 16, 9.9, 0, 3, fp32, 1, Optional.empty(), Path.of("x")));
    }

    /**
     * On the real data, through the public API: a folder whose parts are all finished is summarized, not trained
     * again (a training here would take minutes and give other accuracies than the planted ones), and a folder of
     * another configuration, or of other files, is refused before any work and left as it was.
     */
    @Test
    void finishedPartsAreKeptAndAnotherConfigurationIsRefused(@TempDir Path dir) throws Exception {
        String shared = System.getProperty("airbench.shared.data");
        Path data = shared == null ? null : Path.of(shared, "cifar-10-binary.tar.gz");
        assumeTrue(data != null && Files.isRegularFile(data), "CIFAR-10 not in ../shared/data; skipping");
        Path out = dir.resolve("select");
        Files.createDirectories(out);
        Files.writeString(out.resolve(DataSelection.EXPERIMENT_FILE), "{\"recipe\": \"94\", \"seed\": 3,"
                + " \"fraction\": 0.5, \"epochs\": 1.0, \"confidence_epochs\": 2.0, \"train_subset\": 2048,"
                + " \"tta_level\": 0, \"precision\": \"fp32\", \"compile\": \"none\"}");
        CifarDataset train = CifarData.load(CifarVariant.CIFAR10, Optional.of(data)).train().first(2048);
        DataSelection.writeConfidences(out.resolve(DataSelection.CONFIDENCES_CSV), new double[2048], train);
        Files.writeString(out.resolve(DataSelection.CONFIDENCE_FILE), "{\"test_accuracy\": 0.5, \"wall_seconds\": 100}");
        double[][] planted = {{0.91, 0.93}, {0.92, 0.96}};
        for (int k = 0; k < 2; k++) {
            Files.writeString(out.resolve("seed-" + (3 + k) + "-random.json"), "{\"accuracy\": " + planted[k][0]
                    + ", \"wall_seconds\": 10}");
            Files.writeString(out.resolve("seed-" + (3 + k) + "-lowest.json"), "{\"accuracy\": " + planted[k][1]
                    + ", \"wall_seconds\": 12.5}");
        }
        String table = DataSelection.run(settings(data, 0.5, out));
        assertTrue(table.contains("| mean |"), table);
        JsonNode result = new ObjectMapper().readTree(out.resolve(DataSelection.RESULT_FILE).toFile());
        assertEquals(2, result.get("runs").size());
        assertEquals(4, result.at("/runs/1/seed").asInt());
        assertEquals(0.96, result.at("/runs/1/lowest/accuracy").asDouble());
        assertEquals((0.91 + 0.92) / 2, result.get("mean_accuracy_random").asDouble(), 1e-12);
        assertEquals((0.93 + 0.96) / 2, result.get("mean_accuracy_lowest").asDouble(), 1e-12);
        assertEquals(1024, result.get("subset_images").asInt());
        assertEquals(100 + 2 * (10 + 12.5), result.get("total_wall_seconds").asDouble(), 1e-9);

        String experiment = Files.readString(out.resolve(DataSelection.EXPERIMENT_FILE));
        IllegalArgumentException other = assertThrows(IllegalArgumentException.class,
                () -> DataSelection.prepare(settings(data, 0.6, out)));
        assertTrue(other.getMessage().contains("holds another data-selection experiment (fraction 0.5 there, 0.6 now)"),
                other.getMessage());
        assertEquals(experiment, Files.readString(out.resolve(DataSelection.EXPERIMENT_FILE)));
        Path foreign = Files.createDirectories(dir.resolve("foreign"));
        Files.writeString(foreign.resolve("notes.txt"), "mine");
        assertThrows(IllegalArgumentException.class, () -> DataSelection.prepare(settings(data, 0.5, foreign)));
        try (var files = Files.list(foreign)) {
            assertEquals(1, files.count(), "nothing was written into a folder of the user's");
        }
    }

    private static int count(boolean[] mask) {
        int n = 0;
        for (boolean m : mask) {
            n += m ? 1 : 0;
        }
        return n;
    }
}

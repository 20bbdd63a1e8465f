package airbench.train.run;

import airbench.train.Recipe;
import airbench.train.SyntheticCifar;
import airbench.train.report.PlotsTest;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import airbench.data.CifarDataset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunFolderTest {

    @Test
    void multipleRunsUseConsecutiveSeedsAndWriteTheSummary(@TempDir Path out) throws Exception {
        CifarDataset train = SyntheticCifar.make("train", 1024, 1);
        CifarDataset test = SyntheticCifar.make("test", 200, 2);
        Map<String, String> raw = TrainOptionTable.parse(new String[] {"--widths", "8,16,16", "--batch-size", "256",
                "--epochs", "1", "--runs", "2", "--seed", "10", "--tta", "0", "--epoch-eval", "false", "--claim-above",
                "0.3"}, new Properties());
        TrainOptions options = TrainOptions.resolve(raw);
        Path dir = RunFolder.create(out, options.recipe(), options.raw());
        RunFolder.Summary summary = RunFolder.run(dir, options, train, test);

        assertEquals(2, summary.runs().size());
        assertEquals(10L, summary.runs().get(0).get("seed"));
        assertEquals(11L, summary.runs().get(1).get("seed"));
        assertTrue(Files.exists(dir.resolve("seed-10/result.json")) && Files.exists(dir.resolve("seed-11/result.json")));
        List<String> csv = Files.readAllLines(dir.resolve("summary.csv"));
        assertEquals(3, csv.size());
        assertEquals("seed,tta_level,tta_accuracy,train_seconds,wall_seconds,steps", csv.get(0));
        assertTrue(csv.get(1).startsWith("10,0,") && csv.get(2).startsWith("11,0,"), csv.toString());
        double a = (double) summary.runs().get(0).get("tta_accuracy");
        double b = (double) summary.runs().get(1).get("tta_accuracy");
        assertEquals((a + b) / 2, summary.ttaAccuracy().mean(), 1e-12);
        assertTrue(Files.exists(dir.resolve("summary.json")));
        // The one-sided t-test against --claim-above 0.3, by hand: two runs, one degree of freedom, sd |a - b| / sqrt 2,
        // t = (mean - 0.3) / (sd / sqrt 2) = (mean - 0.3) / (|a - b| / 2), P(T > t) = 1/2 - atan(t) / pi.
        assertEquals(0.3, summary.meanAbove().accuracy());
        double t = ((a + b) / 2 - 0.3) / (Math.abs(a - b) / 2);
        assertEquals(0.5 - Math.atan(t) / Math.PI, summary.meanAbove().pValue(), 1e-12);
        assertTrue(Files.readString(dir.resolve("summary.json")).contains("\"mean_above\""));
        // Charts of the invocation, and each run's TensorBoard events in its folder.
        for (String chart : List.of("seed-10-training-curves.png", "seed-11-training-curves.png", "accuracy.png",
                "tta-levels.png")) {
            PlotsTest.assertChart(dir.resolve(RunFolder.PLOTS_FOLDER).resolve(chart));
        }
        for (String run : List.of("seed-10", "seed-11")) {
            try (java.util.stream.Stream<Path> files = Files.list(dir.resolve(run).resolve("tensorboard"))) {
                assertEquals(1, files.filter(p -> p.getFileName().toString().contains("tfevents")).count(), run);
            }
        }

        // A finished invocation resumed keeps both results instead of training again.
        Map<String, String> resumed = RunFolder.resumedOptions(dir, Map.of("resume", dir.toString()));
        RunFolder.Summary again = RunFolder.run(dir, TrainOptions.resolve(resumed), train, test);
        assertEquals(summary.runs(), again.runs());
    }

    /**
     * A sweep's run (no model kept) trains in a work folder deleted once its result is taken: it writes the result
     * and the summary, and none of the SavedModel, event files and charts that a train command's run keeps.
     */
    @Test
    void aRunThatKeepsNoModelWritesItsResultOnly(@TempDir Path out) throws Exception {
        CifarDataset train = SyntheticCifar.make("train", 512, 1);
        CifarDataset test = SyntheticCifar.make("test", 100, 2);
        TrainOptions options = TrainOptions.resolve(TrainOptionTable.parse(new String[] {"--widths", "8,8,8",
                "--batch-size", "256", "--epochs", "1", "--seed", "3", "--tta", "0", "--epoch-eval", "false",
                "--compile", "none"}, new Properties()));
        Path dir = RunFolder.create(out, options.recipe(), options.raw());
        RunFolder.run(dir, options, train, test, false);
        assertTrue(Files.isRegularFile(dir.resolve("seed-3").resolve(RunFolder.RESULT_FILE)));
        assertTrue(Files.isRegularFile(dir.resolve("summary.json")));
        assertFalse(Files.exists(dir.resolve(RunFolder.PLOTS_FOLDER)), "no charts");
        assertFalse(Files.exists(dir.resolve("seed-3").resolve(RunFolder.TENSORBOARD_FOLDER)), "no event files");
        assertFalse(Files.exists(dir.resolve("seed-3").resolve(RunFolder.MODEL_FOLDER)), "no SavedModel");
    }

    @Test
    void resumingTakesTheStoredOptionsAndRefusesChangedOnes(@TempDir Path out) throws Exception {
        TrainOptions options = TrainOptions.resolve(Map.of("recipe", "95", "epochs", "3"));
        Path dir = RunFolder.create(out, options.recipe(), Map.of("recipe", "95", "epochs", "3"));
        Map<String, String> merged = RunFolder.resumedOptions(dir.resolve("seed-0"),
                Map.of("resume", dir.resolve("seed-0").toString(), "threads", "1"));
        assertEquals("95", merged.get("recipe"));
        assertEquals("3", merged.get("epochs"));
        assertEquals("1", merged.get("threads"));
        assertEquals(dir.toString(), merged.get("resume"));
        UsageException changed = assertThrows(UsageException.class,
                () -> RunFolder.resumedOptions(dir, Map.of("resume", dir.toString(), "epochs", "5")));
        assertTrue(changed.getMessage().startsWith("--epochs cannot be changed when resuming"), changed.getMessage());
        UsageException nothing = assertThrows(UsageException.class,
                () -> RunFolder.resumedOptions(out.resolve("nowhere"), Map.of()));
        assertTrue(nothing.getMessage().contains("holds no invocation.json"), nothing.getMessage());
    }

    @Test
    void newInvocationsNeverReuseAFolder(@TempDir Path out) throws Exception {
        Path first = RunFolder.create(out, Recipe.AIRBENCH94, Map.of());
        Path second = RunFolder.create(out, Recipe.AIRBENCH94, Map.of());
        assertTrue(!first.equals(second));
    }
}

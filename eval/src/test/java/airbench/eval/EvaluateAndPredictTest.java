package airbench.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import airbench.data.CifarDataset;
import airbench.data.CifarReader;
import airbench.data.CifarVariant;
import airbench.data.Normalization;
import airbench.model.AirbenchModel;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The work of the {@code evaluate} and {@code predict} commands ({@link TestSetEvaluation},
 * {@link Predictor#predictFiles}): what they print and write, and how a bad model or image fails. The command lines
 * themselves are tested with the commands (airbench.train.cli).
 */
class EvaluateAndPredictTest {
    @TempDir
    static Path shared;
    private static AirbenchModel trained;
    private static Path modelDir;

    @TempDir
    Path tmp;

    @BeforeAll
    static void export() {
        trained = TinyExport.train(8);
        modelDir = TinyExport.export(trained, shared.resolve("model"));
    }

    @AfterAll
    static void close() {
        trained.close();
    }

    @Test
    void aMissingModelOrABadImageFailsWithAMessageNamingIt() throws IOException {
        EvalException missing = assertThrows(EvalException.class, () -> TestSetEvaluation.run(tmp.resolve("nope"),
                Optional.empty(), 0, 1, Optional.empty(), List.of()));
        assertEquals("model folder " + tmp.resolve("nope") + " does not exist", missing.getMessage());

        Path notAnImage = Files.writeString(tmp.resolve("x.png"), "text");
        EvalException bad = assertThrows(EvalException.class,
                () -> Predictor.predictFiles(modelDir, Optional.empty(), 3, 1, List.of(notAnImage)));
        assertTrue(bad.getMessage().startsWith(notAnImage + ": not a"), bad.getMessage());
        // the images are read before the model loads: a bad file is named even when the model folder is bad too
        EvalException first = assertThrows(EvalException.class,
                () -> Predictor.predictFiles(tmp.resolve("nope"), Optional.empty(), 3, 1, List.of(notAnImage)));
        assertTrue(first.getMessage().startsWith(notAnImage + ": not a"), first.getMessage());
        assertThrows(IllegalArgumentException.class, () -> TestSetEvaluation.run(modelDir, Optional.empty(), 3, 1,
                Optional.empty(), List.of()));
    }

    @Test
    void predictFilesGivesTheTopClassesPerFile() throws IOException {
        byte[] pixels = TinyExport.randomPixels(1, 31);
        Path png = PredictorTest.writePng(tmp.resolve("one.png"), pixels, 32, 32);
        Path big = PredictorTest.writePng(tmp.resolve("big.png"), new byte[48 * 40 * 3], 48, 40);
        List<String> lines = Predictor.predictFiles(modelDir, Optional.empty(), 3, 1, List.of(png, big));
        assertEquals(2, lines.size(), lines.toString());
        int expected = Evaluator.argMax(trained.logits(Normalization.normalize(pixels), 1), 0, 10);
        String name = CifarVariant.CIFAR10.wellKnownClassNames().get(expected);
        assertTrue(lines.get(0).startsWith(png + ": " + name + " "), lines.get(0));
        assertEquals(3, lines.get(0).chars().filter(ch -> ch == '%').count(), lines.get(0));
        assertTrue(lines.get(1).startsWith(big + " (48x40, resized to 32x32): "), lines.get(1));

        List<String> top1 = Predictor.predictFiles(modelDir, Optional.empty(), 1, 1, List.of(png));
        assertEquals(1, top1.size());
        assertTrue(top1.get(0).matches(".*: " + name + " [0-9.]+%"), top1.get(0));
    }

    /**
     * Needs the real CIFAR-10 archive; skipped (visibly) without it. TTA level 1 keeps it near 10 s on one
     * thread (level 2 triples the views); level 2's equality is covered by ExportedModelTest.
     */
    @Test
    void evaluateOnTheRealTestSetMatchesTheTrainedModel() throws IOException {
        Path archive = Path.of(System.getProperty("airbench.shared.data", "../../shared/data"))
                .resolve("cifar-10-binary.tar.gz");
        assumeTrue(Files.isRegularFile(archive), "the CIFAR-10 archive is not at " + archive);
        Path json = tmp.resolve("out/result.json");
        long start = System.nanoTime();
        TestSetEvaluation result = TestSetEvaluation.run(modelDir, Optional.empty(), 1, 1, Optional.of(archive),
                List.of());
        result.writeJson(json);
        result.writePredictions(tmp.resolve("out/predictions.csv"));
        String printed = String.join("\n", result.lines());
        assertTrue(printed.contains("test accuracy with TTA level 1: "), printed);
        assertTrue(!printed.contains("TTA level 2"), printed);
        assertTrue(printed.startsWith("model: " + modelDir + "\ndata: CIFAR-10 test split, 10000 images, from "),
                printed);

        CifarDataset test = CifarReader.read(archive, CifarVariant.CIFAR10).test();
        Map<Integer, Evaluation> expected = new Evaluator(trained::logits, Evaluator.DEFAULT_BATCH)
                .evaluateLevels(Normalization.normalize(test.images()), test.labels(), 10, 0, 1);
        JsonNode written = new ObjectMapper().readTree(json.toFile());
        assertEquals(2, written.get("results").size());
        assertEquals("cifar10", written.get("dataset").asText());
        for (JsonNode level : written.get("results")) {
            Evaluation e = expected.get(level.get("tta_level").asInt());
            assertEquals(e.correct(), level.get("correct").asInt(), "level " + e.ttaLevel());
            assertEquals(10_000, level.get("total").asInt());
            assertTrue(printed.contains(String.format(java.util.Locale.ROOT,
                    "test accuracy with TTA level %d: %.4f (%d/%d correct)", e.ttaLevel(), e.accuracy(), e.correct(),
                    e.total())), printed);
        }
        // Per-image predictions: the header, one row per image, level 0 equal to the in-memory model's
        // arg-max, and as many correct rows per level as the accuracy counted.
        List<String> rows = Files.readAllLines(tmp.resolve("out/predictions.csv"));
        assertEquals("index,label,tta0,tta1", rows.get(0));
        assertEquals(10_001, rows.size());
        float[] first = Normalization.normalize(test.first(50).images());
        float[] logits = trained.logits(first, 50);
        for (int i = 0; i < 50; i++) {
            assertEquals(i + "," + test.labels()[i] + "," + Evaluator.argMax(logits, i, 10),
                    rows.get(i + 1).substring(0, rows.get(i + 1).lastIndexOf(',')), "row of image " + i);
        }
        for (int level = 0; level <= 1; level++) {
            int column = 2 + level;
            long correct = rows.stream().skip(1).map(r -> r.split(","))
                    .filter(f -> f[1].equals(f[column])).count();
            assertEquals(expected.get(level).correct(), correct, "correct rows at level " + level);
        }
        System.out.println("real-data evaluation test took " + (System.nanoTime() - start) / 1_000_000 + " ms; "
                + result.lines());
    }

    /**
     * Needs the real CIFAR-10 archive (skipped visibly without it). Selective TTA of a quarter: printed, written and
     * counted as the in-memory model combined the same way gives it, beside the plain accuracy.
     */
    @Test
    void selectiveTtaOnTheRealTestSetMatchesTheTrainedModel() throws IOException {
        Path archive = Path.of(System.getProperty("airbench.shared.data", "../../shared/data"))
                .resolve("cifar-10-binary.tar.gz");
        assumeTrue(Files.isRegularFile(archive), "the CIFAR-10 archive is not at " + archive);
        TestSetEvaluation result = TestSetEvaluation.run(modelDir, Optional.empty(), 0, 1, Optional.of(archive),
                List.of(), 0.25);
        CifarDataset test = CifarReader.read(archive, CifarVariant.CIFAR10).test();
        SelectiveTta.Logits logits = new SelectiveTta(0.25).logits(trained::logits,
                Normalization.normalize(test.images()), test.size(), Evaluator.DEFAULT_BATCH);
        Evaluation selective = Evaluator.score(0, SelectiveTta.predictions(logits.selective(), 10), test.labels());
        Evaluation plain = Evaluator.score(0, SelectiveTta.predictions(logits.plain(), 10), test.labels());
        assertEquals(selective.correct(), result.selective().result().correct());
        assertEquals(plain.correct(), result.results().get(0).correct());
        assertEquals(List.of(0), List.copyOf(result.results().keySet()));
        String printed = String.join("\n", result.lines());
        assertTrue(printed.contains(String.format(java.util.Locale.ROOT, "test accuracy with selective TTA (six views"
                + " for the least confident 0.25): %.4f (%d/10000 correct)", selective.accuracy(), selective.correct())),
                printed);
        Path json = tmp.resolve("selective.json");
        result.writeJson(json);
        JsonNode written = new ObjectMapper().readTree(json.toFile()).get("selective_tta");
        assertEquals(0.25, written.get("fraction").asDouble());
        assertEquals(selective.correct(), written.get("correct").asInt());
        result.writePredictions(tmp.resolve("selective.csv"));
        assertEquals("index,label,tta0,selective", Files.readAllLines(tmp.resolve("selective.csv")).get(0));
        assertThrows(IllegalArgumentException.class, () -> TestSetEvaluation.run(modelDir, Optional.empty(), 2, 1,
                Optional.of(archive), List.of(), 0.25));
    }
}

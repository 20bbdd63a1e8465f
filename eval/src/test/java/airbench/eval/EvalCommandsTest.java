package airbench.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import airbench.data.CifarDataset;
import airbench.data.CifarReader;
import airbench.data.CifarVariant;
import airbench.data.Normalization;
import airbench.model.AirbenchModel;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EvalCommandsTest {
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

    /** Exit code, stdout and stderr of one command. */
    private record Run(int code, String out, String err) {}

    private static Run run(Properties properties, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = EvalCommands.run(args, properties, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static Run run(String... args) {
        return run(new Properties(), args);
    }

    private static void assertUsageError(Run run, String fragment) {
        assertEquals(2, run.code(), run.err());
        assertTrue(run.err().startsWith("error: ") && run.err().contains(fragment), run.err());
        assertEquals(1, run.err().strip().lines().count(), "one line: " + run.err());
    }

    @Test
    void badCommandLinesExitWithTwo() {
        assertUsageError(run(), "missing command");
        assertUsageError(run("train"), "unknown command 'train'");
        assertUsageError(run("evaluate"), "--model DIR is required");
        assertUsageError(run("evaluate", "--model", "m", "--tta", "3"), "--tta must be an integer from 0 to 2, got '3'");
        assertUsageError(run("evaluate", "--model", "m", "--tta", "two"), "--tta must be an integer from 0 to 2");
        assertUsageError(run("evaluate", "--model", "m", "--bogus"), "Unrecognized option: --bogus");
        assertUsageError(run("evaluate", "--model", "m", "extra"), "unexpected argument 'extra'");
        assertUsageError(run("evaluate", "--model"), "Missing argument for option: model");
        assertUsageError(run("predict", "--model", "m"), "name at least one image file or folder");
        assertUsageError(run("predict", "a.png"), "--model DIR is required");
        assertUsageError(run("predict", "--model", "m", "--threads", "0", "a.png"), "--threads must be an integer");
        Properties properties = new Properties();
        properties.setProperty("eval.model", "m");
        properties.setProperty("eval.tta", "5");
        assertUsageError(run(properties, "evaluate"), "--tta must be an integer from 0 to 2, got '5'");
        Run help = run("--help");
        assertEquals(0, help.code());
        assertTrue(help.out().contains("evaluate --model DIR") && help.out().contains("predict --model DIR"));
    }

    @Test
    void eachCommandAnswersItsOwnHelpWithoutAModel() {
        Run evaluate = run("evaluate", "--help");
        assertEquals(0, evaluate.code(), evaluate.err());
        assertTrue(evaluate.out().startsWith("usage: evaluate --model DIR") && evaluate.out().contains("--tta")
                && !evaluate.out().contains("predict --model"), evaluate.out());
        Run predict = run("predict", "--help");
        assertEquals(0, predict.code(), predict.err());
        assertTrue(predict.out().startsWith("usage: predict --model DIR") && predict.out().contains("--top")
                && !predict.out().contains("evaluate --model"), predict.out());
        // strict parsing: an abbreviation is not taken for --help, and the error points to the help
        assertUsageError(run("evaluate", "--hel"), "evaluate: Unrecognized option: --hel (see evaluate --help)");
    }

    @Test
    void badModelOrImageExitsWithOne() throws IOException {
        Run missing = run("evaluate", "--model", tmp.resolve("nope").toString());
        assertEquals(1, missing.code());
        assertEquals("error: model folder " + tmp.resolve("nope") + " does not exist", missing.err().strip());

        Path notAnImage = Files.writeString(tmp.resolve("x.png"), "text");
        Run bad = run("predict", "--model", modelDir.toString(), notAnImage.toString());
        assertEquals(1, bad.code());
        assertTrue(bad.err().startsWith("error: " + notAnImage + ": not a"), bad.err());
    }

    @Test
    void predictPrintsTopClassesPerFile() throws IOException {
        byte[] pixels = TinyExport.randomPixels(1, 31);
        Path png = PredictorTest.writePng(tmp.resolve("one.png"), pixels, 32, 32);
        Path big = PredictorTest.writePng(tmp.resolve("big.png"), new byte[48 * 40 * 3], 48, 40);
        // --model from the system property, flags for the rest
        Properties properties = new Properties();
        properties.setProperty("eval.model", modelDir.toString());
        Run result = run(properties, "predict", png.toString(), big.toString());
        assertEquals(0, result.code(), result.err());
        String[] lines = result.out().strip().split("\\R");
        assertEquals(2, lines.length, result.out());
        int expected = Evaluator.argMax(trained.logits(Normalization.normalize(pixels), 1), 0, 10);
        String name = CifarVariant.CIFAR10.wellKnownClassNames().get(expected);
        assertTrue(lines[0].startsWith(png + ": " + name + " "), lines[0]);
        assertEquals(3, lines[0].chars().filter(ch -> ch == '%').count(), lines[0]);
        assertTrue(lines[1].startsWith(big + " (48x40, resized to 32x32): "), lines[1]);

        Run top1 = run("predict", "--model", modelDir.toString(), "--top", "1", png.toString());
        assertEquals(0, top1.code(), top1.err());
        assertTrue(top1.out().strip().matches(".*: " + name + " [0-9.]+%"), top1.out());
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
        Run result = run("evaluate", "--model", modelDir.toString(), "--data-dir", archive.toString(),
                "--json", json.toString(), "--threads", "1", "--tta", "1", "--predictions",
                tmp.resolve("out/predictions.csv").toString());
        assertEquals(0, result.code(), result.err());
        assertTrue(result.out().contains("test accuracy with TTA level 1: "), result.out());
        assertTrue(!result.out().contains("TTA level 2"), result.out());

        CifarDataset test = CifarReader.read(archive, CifarVariant.CIFAR10).test();
        Map<Integer, Evaluation> expected = new Evaluator(trained::logits, Evaluator.DEFAULT_BATCH)
                .evaluateLevels(Normalization.normalize(test.images()), test.labels(), 10, 0, 1);
        JsonNode written = new ObjectMapper().readTree(json.toFile());
        assertEquals(2, written.get("results").size());
        for (JsonNode level : written.get("results")) {
            Evaluation e = expected.get(level.get("tta_level").asInt());
            assertEquals(e.correct(), level.get("correct").asInt(), "level " + e.ttaLevel());
            assertEquals(10_000, level.get("total").asInt());
            assertTrue(result.out().contains(String.format(java.util.Locale.ROOT,
                    "test accuracy with TTA level %d: %.4f (%d/%d correct)", e.ttaLevel(), e.accuracy(), e.correct(),
                    e.total())), result.out());
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
        System.out.println("real-data evaluate test took " + (System.nanoTime() - start) / 1_000_000 + " ms; "
                + Arrays.toString(result.out().strip().split("\\R")));
    }
}

package airbench.train.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import airbench.data.CifarDataset;
import airbench.eval.Evaluator;
import airbench.model.CpuFeatures;
import airbench.model.ExecutionPlan;
import airbench.train.Recipe;
import airbench.train.SyntheticCifar;
import airbench.train.TrainedModel;
import airbench.train.Training;
import airbench.train.TrainingListener;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command lines of {@code evaluate} and {@code predict}: flags and their {@code -Deval.*} properties, the
 * usage errors (exit code 2) and failures (exit code 1) with their one line, and predict's output on a tiny model
 * trained and exported through the library. What the commands compute is tested with the library (airbench.eval).
 */
class ModelCommandsTest {
    @TempDir
    static Path shared;
    private static TrainedModel trained;
    private static Path modelDir;
    private static CifarDataset images;

    @TempDir
    Path tmp;

    @BeforeAll
    static void trainAndExport() {
        Recipe tiny = Recipe.AIRBENCH94.toBuilder().widths(List.of(8, 16, 16)).batchSize(64).epochs(1).build();
        trained = Training.of(tiny).withExecution(ExecutionPlan.resolve("fp32", "none", CpuFeatures.detect()))
                .withThreads(1).withListener(new TrainingListener() {}).run(SyntheticCifar.make("train", 256, 1));
        modelDir = shared.resolve("model");
        trained.export(modelDir, false);
        images = SyntheticCifar.make("test", 2, 5);
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
        int code = Main.run(args, properties, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static Run run(String... args) {
        return run(new Properties(), args);
    }

    private static void assertUsageError(Run run, String command, String fragment) {
        assertEquals(2, run.code(), run.err());
        assertTrue(run.err().startsWith("error: " + command + ": ") && run.err().contains(fragment), run.err());
        assertEquals(1, run.err().strip().lines().count(), "one line: " + run.err());
        assertEquals("", run.out(), "an error never reaches the results' stream");
    }

    private static void assertFailure(Run run, String command, String fragment) {
        assertEquals(1, run.code(), run.err());
        assertTrue(run.err().startsWith("error: " + command + ": ") && run.err().contains(fragment), run.err());
        assertEquals(1, run.err().strip().lines().count(), "one line: " + run.err());
    }

    @Test
    void badCommandLinesExitWithTwo() {
        assertUsageError(run("evaluate"), "evaluate", "--model DIR is required");
        assertUsageError(run("evaluate", "--model", "m", "--tta", "3"), "evaluate",
                "--tta must be an integer from 0 to 2, got '3'");
        assertUsageError(run("evaluate", "--model", "m", "--tta", "two"), "evaluate",
                "--tta must be an integer from 0 to 2");
        assertUsageError(run("evaluate", "--model", "m", "--bogus"), "evaluate", "Unrecognized option: --bogus");
        assertUsageError(run("evaluate", "--model", "m", "--tta-fraction", "1.5"), "evaluate",
                "bad value '1.5' for --tta-fraction; give the share of the test images that selective TTA augments"
                        + " as a fraction in (0, 1], like 0.25 (a quarter)");
        assertUsageError(run("evaluate", "--model", "m", "--tta", "1", "--tta-fraction", "0.5"), "evaluate",
                "--tta-fraction is the share of selective TTA; give it with --tta selective, not with --tta 1");
        assertUsageError(run("evaluate", "--model", "m", "extra"), "evaluate", "unexpected argument 'extra'");
        assertUsageError(run("evaluate", "--model"), "evaluate", "Missing argument for option: model");
        assertUsageError(run("predict", "--model", "m"), "predict", "name at least one image file or folder");
        assertUsageError(run("predict", "a.png"), "predict", "--model DIR is required");
        assertUsageError(run("predict", "--model", "m", "--threads", "0", "a.png"), "predict",
                "--threads must be an integer");
        assertUsageError(run("evaluate", "--model", "m", "--labels", "coarse"), "evaluate",
                "--labels applies to --dataset cifar100 only (CIFAR-10 has one set of 10 labels); drop --labels"
                        + " coarse, or add --dataset cifar100");
        assertUsageError(run("predict", "--model", "m", "--dataset", "imagenet", "a.png"), "predict",
                "bad value 'imagenet' for --dataset; valid values: cifar10, cifar100");
        // the properties, for mvn exec:java -Deval.command=evaluate
        Properties properties = new Properties();
        properties.setProperty("eval.model", "m");
        properties.setProperty("eval.tta", "5");
        assertUsageError(run(properties, "evaluate"), "evaluate", "--tta must be an integer from 0 to 2, got '5'");
        properties.setProperty(Main.EVAL_COMMAND_PROPERTY, "evaluate");
        assertUsageError(run(properties), "evaluate", "--tta must be an integer from 0 to 2, got '5'");
        properties.setProperty(Main.EVAL_COMMAND_PROPERTY, "train");
        assertUsageError(run(properties), "train", "not a command of -Deval.command; it takes evaluate or predict");
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
        assertUsageError(run("evaluate", "--hel"), "evaluate", "Unrecognized option: --hel (see evaluate --help)");
    }

    @Test
    void badModelImageOrDatasetExitsWithOne() throws IOException {
        Run missing = run("evaluate", "--model", tmp.resolve("nope").toString());
        assertFailure(missing, "evaluate", "");
        assertEquals("error: evaluate: model folder " + tmp.resolve("nope") + " does not exist", missing.err().strip());

        Path notAnImage = Files.writeString(tmp.resolve("x.png"), "text");
        Run bad = run("predict", "--model", modelDir.toString(), notAnImage.toString());
        assertFailure(bad, "predict", "");
        assertTrue(bad.err().startsWith("error: predict: " + notAnImage + ": not a"), bad.err());

        // a model of another dataset: refused before any data is looked for
        Run tenOnHundred = run("evaluate", "--model", modelDir.toString(), "--dataset", "cifar100");
        assertFailure(tenOnHundred, "evaluate", "");
        assertTrue(tenOnHundred.err().startsWith("error: evaluate: the model in " + modelDir
                + " was trained on CIFAR-10"), tenOnHundred.err());
        Path png = writePng(tmp.resolve("one.png"), 0);
        assertFailure(run("predict", "--model", modelDir.toString(), "--dataset", "cifar100", png.toString()),
                "predict", "was trained on CIFAR-10 (10 classes), not on CIFAR-100");
    }

    @Test
    void predictPrintsTopClassesPerFileWithTheModelFromFlagOrProperty() throws IOException {
        Path first = writePng(tmp.resolve("first.png"), 0);
        Path second = writePng(tmp.resolve("second.png"), 1);
        float[] logits = trained.logits(images.images(), 0);
        List<String> names = trained.classNames();  // the synthetic training set's, which the export records
        // --model from the system property, flags for the rest
        Properties properties = new Properties();
        properties.setProperty("eval.model", modelDir.toString());
        Run result = run(properties, "predict", first.toString(), second.toString());
        assertEquals(0, result.code(), result.err());
        assertEquals("", result.err());
        String[] lines = result.out().strip().split("\\R");
        assertEquals(2, lines.length, result.out());
        for (int i = 0; i < 2; i++) {
            String name = names.get(Evaluator.argMax(logits, i, 10));
            Path file = i == 0 ? first : second;
            assertTrue(lines[i].startsWith(file + ": " + name + " "), lines[i]);
            assertEquals(3, lines[i].chars().filter(ch -> ch == '%').count(), lines[i]);
        }
        Run top1 = run("predict", "--model", modelDir.toString(), "--top", "1", first.toString());
        assertEquals(0, top1.code(), top1.err());
        assertTrue(top1.out().strip().matches(".*: " + names.get(Evaluator.argMax(logits, 0, 10)) + " [0-9.]+%"),
                top1.out());
        // the files from the property too
        properties.setProperty("eval.files", first + ", " + second);
        properties.setProperty("eval.top", "1");
        Run fromProperties = run(properties, "predict");
        assertEquals(0, fromProperties.code(), fromProperties.err());
        assertEquals(2, fromProperties.out().strip().lines().count(), fromProperties.out());
    }

    /** Test image {@code index} of {@link #images} as a 32x32 PNG file. */
    private static Path writePng(Path file, int index) throws IOException {
        byte[] rgb = Arrays.copyOfRange(images.images(), index * CifarDataset.IMAGE_BYTES,
                (index + 1) * CifarDataset.IMAGE_BYTES);
        BufferedImage image = new BufferedImage(32, 32, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 32; y++) {
            for (int x = 0; x < 32; x++) {
                int i = (y * 32 + x) * 3;
                image.setRGB(x, y, (rgb[i] & 0xFF) << 16 | (rgb[i + 1] & 0xFF) << 8 | (rgb[i + 2] & 0xFF));
            }
        }
        assertTrue(ImageIO.write(image, "png", file.toFile()));
        return file;
    }
}

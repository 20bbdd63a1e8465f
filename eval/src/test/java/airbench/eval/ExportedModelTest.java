package airbench.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import airbench.data.CifarVariant;
import airbench.data.Normalization;
import airbench.model.AirbenchModel;
import airbench.model.SavedModelExport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Graph;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.Signature;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TUint8;
import org.tensorflow.types.family.TType;

/** An exported model reloaded in a fresh session agrees with the model that was trained. */
class ExportedModelTest {
    private static final int COUNT = 24;
    @TempDir
    static Path shared;
    private static AirbenchModel trained;
    private static ExportedModel exported;
    private static Path exportDir;
    private static byte[] pixels;
    private static float[] normalized;

    @TempDir
    Path tmp;

    @BeforeAll
    static void exportAndReload() {
        trained = TinyExport.train(21);
        exportDir = TinyExport.export(trained, shared.resolve("model"));
        exported = ExportedModel.load(exportDir, 1);
        pixels = TinyExport.randomPixels(COUNT, 99);
        normalized = Normalization.normalize(pixels);
    }

    @AfterAll
    static void close() {
        exported.close();
        trained.close();
    }

    @Test
    void reloadedLogitsAreIdenticalToTheInTrainingInference() {
        float[] expected = trained.logits(normalized, COUNT);
        // Bit-identical, not just close: same ops over the same variable values (no constant folding).
        assertArrayEquals(expected, exported.logits(normalized, COUNT), "normalized signature");
        assertArrayEquals(expected, exported.pixelLogits(pixels, COUNT), "uint8 serving signature");
    }

    @Test
    void evaluatingTheExportGivesTheSameCountsAsTheTrainedModel() {
        int[] labels = new int[COUNT];
        Random random = new Random(3);
        for (int i = 0; i < COUNT; i++) {
            labels[i] = random.nextInt(10);
        }
        Map<Integer, Evaluation> original = new Evaluator(trained::logits, 10)
                .evaluateLevels(normalized, labels, 10, 0, 1, 2);
        Map<Integer, Evaluation> reloaded = new Evaluator(exported, 10).evaluateLevels(normalized, labels, 10, 0, 1, 2);
        assertEquals(original, reloaded);
        // The same logits at every level, so equal accuracies are not a coincidence.
        for (int level = 0; level <= 2; level++) {
            assertArrayEquals(TestTimeAugmentation.logits(trained::logits, normalized, COUNT, level),
                    TestTimeAugmentation.logits(exported, normalized, COUNT, level));
        }
    }

    @Test
    void ttaSignatureIsLevelTwoOfTheMethod() {
        float[] expected = TestTimeAugmentation.logits(trained::logits, normalized, COUNT, 2);
        float[] actual = exported.ttaLogits(pixels, COUNT);
        assertArrayEquals(expected, actual, 1e-5f);
        // and it is not simply level 0 or 1
        float[] plain = trained.logits(normalized, COUNT);
        double difference = 0;
        for (int i = 0; i < plain.length; i++) {
            difference += Math.abs(plain[i] - actual[i]);
        }
        assertTrue(difference > 1e-3, "TTA logits equal the plain logits");
    }

    @Test
    void probabilitiesAreTheSoftmaxOfTheLogits() {
        float[] logits = exported.pixelLogits(pixels, COUNT);
        for (boolean tta : new boolean[] {false, true}) {
            float[] source = tta ? exported.ttaLogits(pixels, COUNT) : logits;
            float[] probabilities = tta ? exported.ttaProbabilities(pixels, COUNT) : exported.probabilities(pixels, COUNT);
            for (int i = 0; i < COUNT; i++) {
                double sum = 0;
                double max = Double.NEGATIVE_INFINITY;
                for (int k = 0; k < 10; k++) {
                    max = Math.max(max, source[i * 10 + k]);
                }
                double z = 0;
                for (int k = 0; k < 10; k++) {
                    z += Math.exp(source[i * 10 + k] - max);
                }
                for (int k = 0; k < 10; k++) {
                    float p = probabilities[i * 10 + k];
                    sum += p;
                    assertEquals(Math.exp(source[i * 10 + k] - max) / z, p, 1e-6);
                }
                assertEquals(1.0, sum, 1e-5);
                assertEquals(Evaluator.argMax(source, i, 10), Evaluator.argMax(probabilities, i, 10));
            }
        }
    }

    @Test
    void knowsItsClassesAndSignatures() {
        assertEquals(10, exported.numClasses());
        assertEquals(CifarVariant.CIFAR10.wellKnownClassNames(), exported.classNames());
        assertEquals(java.util.Set.of("serving_default", "tta", "normalized"), exported.signatures());
        assertEquals(exportDir, exported.directory());
    }

    @Test
    void exportNormalizesLikeTheDataModule() {
        assertArrayEquals(Normalization.MEAN, SavedModelExport.NORMALIZATION_MEAN);
        assertArrayEquals(Normalization.STD, SavedModelExport.NORMALIZATION_STD);
    }

    @Test
    void refusesFoldersThatAreNotSavedModels() throws IOException {
        EvalException e = assertThrows(EvalException.class, () -> ExportedModel.load(tmp.resolve("nowhere")));
        assertEquals("model folder " + tmp.resolve("nowhere") + " does not exist", e.getMessage());

        Path empty = Files.createDirectories(tmp.resolve("empty"));
        Files.writeString(empty.resolve("notes.txt"), "hello");
        e = assertThrows(EvalException.class, () -> ExportedModel.load(empty));
        assertTrue(e.getMessage().startsWith(empty + " is not a SavedModel folder: it has no saved_model.pb"),
                e.getMessage());

        Path file = Files.writeString(tmp.resolve("model.pb"), "x");
        e = assertThrows(EvalException.class, () -> ExportedModel.load(file));
        assertTrue(e.getMessage().contains(file + " is a file, not a SavedModel folder"), e.getMessage());

        Path corrupt = Files.createDirectories(tmp.resolve("corrupt"));
        Files.writeString(corrupt.resolve("saved_model.pb"), "definitely not a protocol buffer");
        e = assertThrows(EvalException.class, () -> ExportedModel.load(corrupt));
        assertTrue(e.getMessage().startsWith("could not load the SavedModel in " + corrupt), e.getMessage());
    }

    @Test
    void refusesAModelWithTheWrongInputShapeTypeOrSignature() {
        Path gray = foreignModel(tmp.resolve("gray28"), "serving_default", TUint8.class, Shape.of(-1, 28, 28, 1));
        EvalException e = assertThrows(EvalException.class, () -> ExportedModel.load(gray));
        assertTrue(e.getMessage().contains("signature 'serving_default' of the SavedModel in " + gray)
                && e.getMessage().contains("has shape [N, 28, 28, 1], expected [N, 32, 32, 3]"), e.getMessage());

        Path floats = foreignModel(tmp.resolve("float"), "serving_default", TFloat32.class, Shape.of(-1, 32, 32, 3));
        e = assertThrows(EvalException.class, () -> ExportedModel.load(floats));
        assertTrue(e.getMessage().contains("has dtype float32, expected uint8"), e.getMessage());

        Path other = foreignModel(tmp.resolve("other"), "classify", TUint8.class, Shape.of(-1, 32, 32, 3));
        e = assertThrows(EvalException.class, () -> ExportedModel.load(other));
        assertEquals("the SavedModel in " + other + " has no 'serving_default' signature (it has: classify)",
                e.getMessage());

        // A foreign model with a valid serving signature loads, without the extra signatures.
        Path minimal = foreignModel(tmp.resolve("minimal"), "serving_default", TUint8.class, Shape.of(-1, 32, 32, 3));
        try (ExportedModel model = ExportedModel.load(minimal)) {
            assertEquals(10, model.probabilities(pixels, 2).length / 2);
            e = assertThrows(EvalException.class, () -> model.logits(normalized, 2));
            assertTrue(e.getMessage().contains("has no 'normalized' signature"), e.getMessage());
        }
    }

    @Test
    void refusesMetadataThatContradictsTheGraph() throws IOException {
        Path copy = copy(exportDir, tmp.resolve("copy"));
        Path metadata = copy.resolve(SavedModelExport.METADATA_FILE);
        Files.writeString(metadata, Files.readString(metadata).replace("\"num_classes\": 10", "\"num_classes\": 7"));
        EvalException e = assertThrows(EvalException.class, () -> ExportedModel.load(copy));
        assertTrue(e.getMessage().contains("declares 7 classes but the SavedModel's signatures return 10"),
                e.getMessage());
        Files.writeString(metadata, "{ not json");
        e = assertThrows(EvalException.class, () -> ExportedModel.load(copy));
        assertTrue(e.getMessage().startsWith(metadata + " is not readable JSON"), e.getMessage());
    }

    /**
     * A SavedModel not made by this project: input "images" of the given type and shape, outputs
     * "logits" and "probabilities" [N, 10] (a mean over the pixels broadcast to ten classes).
     */
    private static <T extends TType> Path foreignModel(Path dir, String key, Class<T> type, Shape shape) {
        try (Graph graph = new Graph()) {
            Ops tf = Ops.create(graph);
            Placeholder<T> images = tf.withName("images").placeholder(type, Placeholder.shape(shape));
            var asFloat = tf.dtypes.cast(images, TFloat32.class);
            var mean = tf.math.mean(tf.reshape(asFloat, tf.constant(new long[] {-1, shape.get(1) * shape.get(2)
                    * shape.get(3)})), tf.constant(1), org.tensorflow.op.math.Mean.keepDims(true));
            var logits = tf.math.mul(mean, tf.constant(new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}));
            var probabilities = tf.nn.softmax(logits);
            try (Session session = new Session(graph)) {
                Signature signature = Signature.builder().key(key).input("images", images).output("logits", logits)
                        .output("probabilities", probabilities).build();
                SavedModelBundle.exporter(dir.toString()).withFunction(session.function(signature)).export();
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return dir;
    }

    private static Path copy(Path from, Path to) throws IOException {
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path p : paths.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
        return to;
    }
}

package airbench.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Signature;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.types.TFloat32;

/**
 * The SavedModel export: layout, signatures, graph contents, refusal to overwrite and atomicity.
 * Numerical agreement with the Java-side evaluation and TTA is tested in the eval module
 * (ExportedModelTest), which also has the data module's normalization.
 */
class SavedModelExportTest {
    private static final NetworkSpec NARROW = new NetworkSpec(List.of(8, 16, 16), 2, false, 0.6, 10);
    private static final OptimizerSpec OPTIMIZER = new OptimizerSpec(16, 11.5, 0.85, 0.0153, 64);
    private static AirbenchModel model;
    private static Map<String, float[]> state;
    private static float[] images;

    @TempDir
    Path tmp;

    @BeforeAll
    static void train() {
        model = new AirbenchModel(NARROW, Precision.FP32, OPTIMIZER, 1);
        Random random = new Random(7);
        float[] whiten = new float[2 * 2 * 3 * 24];
        for (int i = 0; i < whiten.length; i++) {
            whiten[i] = (float) random.nextGaussian() * 0.5f;
        }
        model.initialize(whiten, 3);
        images = new float[16 * 32 * 32 * 3];
        for (int i = 0; i < images.length; i++) {
            images[i] = (float) random.nextGaussian();
        }
        int[] labels = new int[16];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = random.nextInt(10);
        }
        model.trainStep(images, labels, 16, 1.0, true, null);
        model.trainStep(images, labels, 16, 1.0, true, null);
        state = model.networkState();
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void exportHasTheLayoutSignaturesAndOnlyTheInferenceGraph() throws IOException {
        Path dir = tmp.resolve("runs/export");  // parent folders are created
        SavedModelExport.export(NARROW, Precision.FP32, state, List.of("a", "b", "c", "d", "e", "f", "g", "h",
                "i", "quote\"d"), dir, false);
        assertTrue(Files.isRegularFile(dir.resolve("saved_model.pb")));
        assertTrue(Files.isRegularFile(dir.resolve("variables/variables.index")));
        String metadata = Files.readString(dir.resolve(SavedModelExport.METADATA_FILE));
        assertTrue(metadata.contains("\"widths\": [8, 16, 16]"), metadata);
        assertTrue(metadata.contains("\"convs_per_block\": 2"), metadata);
        assertTrue(metadata.contains("\"num_classes\": 10"), metadata);
        assertTrue(metadata.contains("\"precision\": \"FP32\""), metadata);
        assertTrue(metadata.contains("\"quote\\\"d\""), metadata);
        // Exported without naming its dataset: CIFAR-10's normalization, as every export before datasets were named.
        assertTrue(metadata.contains("\"dataset\": null"), metadata);
        assertTrue(metadata.contains("\"normalization\": {\"mean\": [0.4914, 0.4822, 0.4465], \"std\": [0.247, 0.2435,"
                + " 0.2616]}"), metadata);
        assertNoLeftovers(tmp.resolve("runs"), "export");

        try (SavedModelBundle bundle = SavedModelBundle.load(dir.toString(), "serve")) {
            for (String key : List.of("serving_default", "tta", "normalized")) {
                Signature signature = bundle.function(key).signature();
                assertEquals(java.util.Set.of("images"), signature.inputNames(), key);
                assertEquals(java.util.Set.of("logits", "probabilities"), signature.outputNames(), key);
                Signature.TensorDescription input = signature.getInputs().get("images");
                assertEquals(key.equals("normalized") ? DataType.DT_FLOAT : DataType.DT_UINT8, input.dataType, key);
                assertArrayEquals(new long[] {-1, 32, 32, 3}, input.shape.asArray(), key);
                assertArrayEquals(new long[] {-1, 10}, signature.getOutputs().get("logits").shape.asArray(), key);
            }
            // Only the network's variables: no momentum buffers or Lookahead copies, no training ops.
            List<NodeDef> nodes = bundle.metaGraphDef().getGraphDef().getNodeList();
            long variables = nodes.stream().filter(n -> n.getOp().equals("VariableV2")).count();
            assertEquals(state.size(), variables);
            for (NodeDef node : nodes) {
                String name = node.getName();
                assertFalse(name.contains("momentum") || name.contains("lookahead") || name.contains("gradients")
                        || name.contains("optimizer") || node.getOp().startsWith("Apply"), name);
                assertFalse(node.getOp().equals("FusedBatchNormV3")
                        && node.getAttrOrThrow("is_training").getB(), "training-mode BatchNorm " + name);
            }
            // The restored variables are the exported values.
            try (TFloat32 head = (TFloat32) bundle.session().runner().fetch("head/kernel/var").run().get(0)) {
                float[] values = new float[state.get("head/kernel").length];
                head.copyTo(DataBuffers.of(values, false, false));
                assertArrayEquals(state.get("head/kernel"), values);
            }
            // The normalized signature gives bit-identical logits to the in-training evaluation.
            try (TFloat32 x = TFloat32.tensorOf(Shape.of(16, 32, 32, 3), DataBuffers.of(images, true, false));
                 Result result = bundle.function("normalized").call(Map.of("images", x))) {
                float[] logits = new float[16 * 10];
                ((TFloat32) result.get("logits").orElseThrow()).copyTo(DataBuffers.of(logits, false, false));
                assertArrayEquals(model.logits(images, 16), logits);
            }
        }
    }

    @Test
    void bf16ExportGivesIdenticalLogits() {
        NetworkSpec residual = new NetworkSpec(List.of(8, 16, 16), 3, true, 0.9, 10);
        try (AirbenchModel bf16 = new AirbenchModel(residual, Precision.BF16, OPTIMIZER, 1)) {
            bf16.initialize(new float[2 * 2 * 3 * 24], 4);
            bf16.trainStep(images, new int[16], 16, 1.0, true, null);
            Path dir = tmp.resolve("bf16");
            SavedModelExport.export(residual, Precision.BF16, bf16.networkState(), dir, false);
            try (SavedModelBundle bundle = SavedModelBundle.load(dir.toString(), "serve");
                 TFloat32 x = TFloat32.tensorOf(Shape.of(16, 32, 32, 3), DataBuffers.of(images, true, false));
                 Result result = bundle.function("normalized").call(Map.of("images", x))) {
                float[] logits = new float[16 * 10];
                ((TFloat32) result.get("logits").orElseThrow()).copyTo(DataBuffers.of(logits, false, false));
                assertArrayEquals(bf16.logits(images, 16), logits);
            }
        }
    }

    @Test
    void exportIsAboutTheSizeOfTheWeightsForTheAirbench94Network() throws IOException {
        NetworkSpec spec94 = new NetworkSpec(List.of(64, 256, 256), 2, false, 0.6, 10);
        Map<String, float[]> values = new LinkedHashMap<>();
        try (AirbenchModel big = new AirbenchModel(spec94, Precision.BF16, OPTIMIZER, 1)) {
            big.initialize(new float[2 * 2 * 3 * 24], 1);
            values.putAll(big.networkState());
        }
        long floats = values.values().stream().mapToLong(v -> v.length).sum();
        Path dir = tmp.resolve("export94");
        SavedModelExport.export(spec94, Precision.BF16, values, dir, false);
        long variableBytes = folderSize(dir.resolve("variables"));
        long graphBytes = Files.size(dir.resolve("saved_model.pb"));
        assertTrue(variableBytes >= floats * 4 && variableBytes < floats * 4 + 64 * 1024,
                variableBytes + " bytes of variables for " + floats + " floats");
        assertTrue(graphBytes < 512 * 1024, "saved_model.pb is " + graphBytes + " bytes");
        long total = folderSize(dir);
        System.out.println("airbench94 export: " + total + " bytes (variables " + variableBytes + " for " + floats
                + " floats, saved_model.pb " + graphBytes + ")");
        assertTrue(total > 7_500_000 && total < 9_000_000, "export is " + total + " bytes");
    }

    @Test
    void refusesToOverwriteUnlessAskedAndThenReplaces() throws IOException {
        Path dir = tmp.resolve("export");
        SavedModelExport.export(NARROW, Precision.FP32, state, dir, false);
        Files.writeString(dir.resolve("marker"), "old");
        UncheckedIOException e = assertThrows(UncheckedIOException.class,
                () -> SavedModelExport.export(NARROW, Precision.FP32, state, dir, false));
        assertEquals(dir + " exists; export into another folder, or allow replacing an earlier export (overwrite = true)",
                e.getMessage());
        assertTrue(Files.exists(dir.resolve("marker")), "the existing export was touched");

        SavedModelExport.export(NARROW, Precision.FP32, state, dir, true);
        assertFalse(Files.exists(dir.resolve("marker")), "the old export was not replaced");
        assertTrue(Files.isRegularFile(dir.resolve("saved_model.pb")));
        assertNoLeftovers(tmp, "export");
    }

    @Test
    void neverReplacesSomethingThatIsNotAnExport() throws IOException {
        Path folder = Files.createDirectories(tmp.resolve("photos"));
        Files.writeString(folder.resolve("holiday.png"), "not mine to delete");
        UncheckedIOException e = assertThrows(UncheckedIOException.class,
                () -> SavedModelExport.export(NARROW, Precision.FP32, state, folder, true));
        assertTrue(e.getMessage().contains("is not a model export"), e.getMessage());
        assertTrue(Files.exists(folder.resolve("holiday.png")));

        Path file = Files.writeString(tmp.resolve("file"), "x");
        e = assertThrows(UncheckedIOException.class,
                () -> SavedModelExport.export(NARROW, Precision.FP32, state, file, true));
        assertTrue(e.getMessage().contains("is not a folder"), e.getMessage());
    }

    @Test
    void aFailedExportLeavesNothingBehind() throws IOException {
        Path dir = tmp.resolve("export");
        RuntimeException e = assertThrows(UncheckedIOException.class, () -> SavedModelExport.export(NARROW,
                Precision.FP32, state, DatasetInfo.unnamedCifar10(null), dir, false, folder -> {
                    assertTrue(Files.exists(folder.resolve("saved_model.pb")));  // fully written, not yet renamed
                    throw new IOException("disk full (simulated)");
                }));
        assertTrue(e.getMessage().contains("disk full (simulated)") && e.getMessage().contains(dir.toString()),
                e.getMessage());
        assertFalse(Files.exists(dir));
        assertNoLeftovers(tmp, "none");

        // Failing while replacing an export keeps the old one intact.
        SavedModelExport.export(NARROW, Precision.FP32, state, dir, false);
        Files.writeString(dir.resolve("marker"), "old");
        assertThrows(UncheckedIOException.class, () -> SavedModelExport.export(NARROW, Precision.FP32, state,
                DatasetInfo.unnamedCifar10(null), dir, true, folder -> {
                    throw new IOException("simulated");
                }));
        assertTrue(Files.exists(dir.resolve("marker")));
        assertNoLeftovers(tmp, "export");
    }

    @Test
    void rejectsStateThatIsNotTheNetworks() {
        Map<String, float[]> missing = new LinkedHashMap<>(state);
        missing.remove("head/kernel");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SavedModelExport.export(NARROW, Precision.FP32, missing, tmp.resolve("a"), false));
        assertTrue(e.getMessage().contains("missing 'head/kernel'"), e.getMessage());

        Map<String, float[]> training = model.state();  // includes momentum and Lookahead copies
        e = assertThrows(IllegalArgumentException.class,
                () -> SavedModelExport.export(NARROW, Precision.FP32, training, tmp.resolve("b"), false));
        assertTrue(e.getMessage().contains("momentum/head/kernel"), e.getMessage());

        Map<String, float[]> wrongSize = new LinkedHashMap<>(state);
        wrongSize.put("whiten/bias", new float[3]);
        e = assertThrows(IllegalArgumentException.class,
                () -> SavedModelExport.export(NARROW, Precision.FP32, wrongSize, tmp.resolve("c"), false));
        assertTrue(e.getMessage().contains("'whiten/bias' has 3 values"), e.getMessage());

        e = assertThrows(IllegalArgumentException.class,
                () -> SavedModelExport.export(NARROW, Precision.FP32, state, List.of("cat"), tmp.resolve("d"), false));
        assertTrue(e.getMessage().contains("1 class names"), e.getMessage());
        assertFalse(Files.exists(tmp.resolve("a")) || Files.exists(tmp.resolve("b")) || Files.exists(tmp.resolve("c"))
                || Files.exists(tmp.resolve("d")));
    }

    /** The parent folder holds exactly {@code expected} (or nothing for "none"): no temporary or old copies. */
    private static void assertNoLeftovers(Path parent, String expected) throws IOException {
        try (Stream<Path> children = Files.list(parent)) {
            List<String> names = children.map(p -> p.getFileName().toString()).sorted().toList();
            assertEquals(expected.equals("none") ? List.of() : List.of(expected), names);
        }
    }

    private static long folderSize(Path folder) throws IOException {
        try (Stream<Path> files = Files.walk(folder)) {
            return files.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
        }
    }

    @Test
    void aHundredClassExportRecordsItsDatasetNamesAndNormalization() throws IOException {
        NetworkSpec hundred = NARROW.withNumClasses(100);
        assertEquals(100, hundred.numClasses());
        assertEquals(NARROW.parameterCount() + 16L * 90, hundred.parameterCount());
        List<String> names = java.util.stream.IntStream.range(0, 100).mapToObj(k -> "fine-" + k).toList();
        DatasetInfo cifar100 = new DatasetInfo("cifar100", names, new float[] {0.5071f, 0.4865f, 0.4409f},
                new float[] {0.2673f, 0.2564f, 0.2762f});
        try (AirbenchModel wide = new AirbenchModel(hundred, Precision.FP32, OPTIMIZER, 1)) {
            wide.initialize(new float[2 * 2 * 3 * 24], 5);
            Path dir = tmp.resolve("hundred");
            SavedModelExport.export(hundred, Precision.FP32, wide.networkState(), cifar100, dir, false);
            String metadata = Files.readString(dir.resolve(SavedModelExport.METADATA_FILE));
            assertTrue(metadata.contains("\"num_classes\": 100"), metadata);
            assertTrue(metadata.contains("\"dataset\": \"cifar100\""), metadata);
            assertTrue(metadata.contains("\"fine-0\", \"fine-1\"") && metadata.contains("\"fine-99\"]"), metadata);
            assertTrue(metadata.contains("\"normalization\": {\"mean\": [0.5071, 0.4865, 0.4409], \"std\": [0.2673,"
                    + " 0.2564, 0.2762]}"), metadata);
            try (SavedModelBundle bundle = SavedModelBundle.load(dir.toString(), "serve")) {
                assertArrayEquals(new long[] {-1, 100},
                        bundle.function("serving_default").signature().getOutputs().get("logits").shape.asArray());
            }
            assertThrows(IllegalArgumentException.class, () -> SavedModelExport.export(hundred, Precision.FP32,
                    wide.networkState(), DatasetInfo.unnamedCifar10(List.of("a", "b")), tmp.resolve("x"), false));
            // A 10-class network's state does not fit a 100-class head.
            assertThrows(IllegalArgumentException.class, () -> SavedModelExport.export(hundred, Precision.FP32, state,
                    cifar100, tmp.resolve("y"), false));
        }
        assertThrows(IllegalArgumentException.class, () -> new DatasetInfo("cifar100", null, new float[] {0, 0},
                new float[] {1, 1, 1}));
        assertThrows(IllegalArgumentException.class, () -> new DatasetInfo("cifar100", null, new float[3],
                new float[] {1, 0, 1}));
    }
}

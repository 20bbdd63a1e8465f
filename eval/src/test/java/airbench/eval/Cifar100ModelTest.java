package airbench.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import airbench.data.CifarDataset;
import airbench.data.CifarReader;
import airbench.data.CifarVariant;
import airbench.data.DataException;
import airbench.data.DataLocator;
import airbench.data.DatasetChoice;
import airbench.data.Downloader;
import airbench.data.Normalization;
import airbench.model.AirbenchModel;
import airbench.model.DatasetInfo;
import airbench.model.Precision;
import airbench.model.SavedModelExport;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Models of CIFAR-100 (fine and coarse labels) exported and reloaded: identical logits, their dataset
 * and class names, the refusal of a model on another dataset, and {@code evaluate}/{@code predict}
 * with them.
 */
class Cifar100ModelTest {
    private static final int COUNT = 12;
    @TempDir
    static Path shared;
    private static AirbenchModel fine;
    private static AirbenchModel coarse;
    private static AirbenchModel cifar10;
    private static Path fineDir;
    private static Path coarseDir;
    private static Path cifar10Dir;
    private static byte[] pixels;

    @TempDir
    Path tmp;

    @BeforeAll
    static void exportModels() {
        fine = TinyExport.train(41, DatasetChoice.CIFAR100);
        coarse = TinyExport.train(42, DatasetChoice.CIFAR100_COARSE);
        cifar10 = TinyExport.train(43);
        fineDir = TinyExport.export(fine, DatasetChoice.CIFAR100, shared.resolve("fine"));
        coarseDir = TinyExport.export(coarse, DatasetChoice.CIFAR100_COARSE, shared.resolve("coarse"));
        cifar10Dir = TinyExport.export(cifar10, shared.resolve("cifar10"));  // as exports were before datasets
        pixels = TinyExport.randomPixels(COUNT, 7);
    }

    @AfterAll
    static void close() {
        fine.close();
        coarse.close();
        cifar10.close();
    }

    @Test
    void aHundredClassExportReloadsWithIdenticalLogitsItsDatasetAndNames() {
        float[] normalized = Normalization.CIFAR100.apply(pixels);
        float[] expected = fine.logits(normalized, COUNT);
        assertEquals(COUNT * 100, expected.length);
        try (ExportedModel exported = ExportedModel.load(fineDir, 1)) {
            assertEquals(100, exported.numClasses());
            assertEquals(Optional.of(DatasetChoice.CIFAR100), exported.dataset());
            assertEquals(CifarVariant.CIFAR100.wellKnownClassNames(), exported.classNames());
            // Bit-identical through both signatures: the uint8 one normalizes with CIFAR-100's constants in the graph.
            assertArrayEquals(expected, exported.logits(normalized, COUNT), "normalized signature");
            assertArrayEquals(expected, exported.pixelLogits(pixels, COUNT), "uint8 serving signature");
            assertFalse(Arrays.equals(expected, fine.logits(Normalization.normalize(pixels), COUNT)),
                    "CIFAR-10's constants would give other logits");
            assertArrayEquals(TestTimeAugmentation.logits(fine::logits, normalized, COUNT, 2),
                    exported.ttaLogits(pixels, COUNT), 1e-5f);
        }
        try (ExportedModel exported = ExportedModel.load(coarseDir, 1)) {
            assertEquals(20, exported.numClasses());
            assertEquals(Optional.of(DatasetChoice.CIFAR100_COARSE), exported.dataset());
            assertEquals("aquatic_mammals", exported.classNames().get(0));
            float[] coarseNormalized = Normalization.CIFAR100.apply(pixels);
            assertArrayEquals(coarse.logits(coarseNormalized, COUNT), exported.pixelLogits(pixels, COUNT));
        }
    }

    @Test
    void aModelIsEvaluatedOnlyOnTheDatasetItWasTrainedOn() {
        try (ExportedModel model10 = ExportedModel.load(cifar10Dir, 1);
             ExportedModel model100 = ExportedModel.load(fineDir, 1);
             ExportedModel model20 = ExportedModel.load(coarseDir, 1)) {
            // Without --dataset: the model's own; an export that records none (10 classes, CIFAR-10's
            // normalization) is CIFAR-10, as every export before datasets were recorded.
            assertEquals(Optional.of(DatasetChoice.CIFAR10), model10.dataset());
            assertEquals(DatasetChoice.CIFAR10, model10.datasetFor(Optional.empty()));
            assertEquals(DatasetChoice.CIFAR100, model100.datasetFor(Optional.empty()));
            assertEquals(DatasetChoice.CIFAR100, model100.datasetFor(Optional.of(DatasetChoice.CIFAR100)));

            EvalException tenOnHundred = assertThrows(EvalException.class,
                    () -> model10.datasetFor(Optional.of(DatasetChoice.CIFAR100)));
            assertEquals("the model in " + cifar10Dir + " was trained on CIFAR-10 (10 classes), not on CIFAR-100"
                    + " (100 classes); evaluate it with --dataset cifar10 (or without --dataset), or pass a model"
                    + " trained with --dataset cifar100", tenOnHundred.getMessage());
            EvalException coarseOnFine = assertThrows(EvalException.class,
                    () -> model20.datasetFor(Optional.of(DatasetChoice.CIFAR100)));
            assertTrue(coarseOnFine.getMessage().contains("was trained on CIFAR-100 (coarse labels, 20 classes), not"
                    + " on CIFAR-100 (100 classes); evaluate it with --dataset cifar100 --labels coarse"),
                    coarseOnFine.getMessage());
            assertThrows(EvalException.class, () -> model100.datasetFor(Optional.of(DatasetChoice.CIFAR10)));
        }
    }

    @Test
    void aModelThatDoesNotRecordItsDatasetNeedsOneThatFits() throws IOException {
        Path unnamed = tmp.resolve("unnamed");
        Normalization n = Normalization.CIFAR100;
        SavedModelExport.export(fine.spec(), Precision.FP32, fine.networkState(),
                new DatasetInfo(null, null, n.mean(), n.std()), unnamed, false);
        Path wrongNormalization = tmp.resolve("wrong");
        SavedModelExport.export(fine.spec(), Precision.FP32, fine.networkState(), DatasetInfo.unnamedCifar10(null),
                wrongNormalization, false);
        try (ExportedModel model = ExportedModel.load(unnamed, 1);
             ExportedModel other = ExportedModel.load(wrongNormalization, 1)) {
            assertEquals(Optional.empty(), model.dataset());
            assertEquals("class 0", model.classNames().get(0));
            EvalException e = assertThrows(EvalException.class, () -> model.datasetFor(Optional.empty()));
            assertTrue(e.getMessage().contains("does not record the dataset it was trained on (100 classes); say"
                    + " which with --dataset"), e.getMessage());
            assertEquals(DatasetChoice.CIFAR100, model.datasetFor(Optional.of(DatasetChoice.CIFAR100)));
            assertTrue(assertThrows(EvalException.class, () -> model.datasetFor(
                    Optional.of(DatasetChoice.CIFAR100_COARSE))).getMessage().contains("has 100 classes but"
                    + " CIFAR-100 (coarse labels) has 20"));
            EvalException normalization = assertThrows(EvalException.class,
                    () -> other.datasetFor(Optional.of(DatasetChoice.CIFAR100)));
            assertTrue(normalization.getMessage().contains("normalizes its input with mean [0.4914, 0.4822, 0.4465]"),
                    normalization.getMessage());
        }
        // A dataset this version does not know is refused when loading.
        Path future = tmp.resolve("future");
        SavedModelExport.export(fine.spec(), Precision.FP32, fine.networkState(),
                new DatasetInfo("svhn", null, n.mean(), n.std()), future, false);
        EvalException e = assertThrows(EvalException.class, () -> ExportedModel.load(future, 1));
        assertTrue(e.getMessage().contains("records the dataset 'svhn', which this version does not know"),
                e.getMessage());
    }

    /** The evaluation of {@code model} on {@code requested} with no data folder given (the data is never reached). */
    private static EvalException refused(Path model, DatasetChoice requested) {
        return assertThrows(EvalException.class, () -> TestSetEvaluation.run(model, Optional.of(requested), 2, 1,
                Optional.empty(), List.of()));
    }

    @Test
    void evaluateRefusesAWrongCombinationBeforeLookingForData() {
        EvalException tenOnHundred = refused(cifar10Dir, DatasetChoice.CIFAR100);
        assertTrue(tenOnHundred.getMessage().startsWith("the model in " + cifar10Dir + " was trained on CIFAR-10"),
                tenOnHundred.getMessage());
        EvalException fineOnCoarse = refused(fineDir, DatasetChoice.CIFAR100_COARSE);
        assertTrue(fineOnCoarse.getMessage().contains("was trained on CIFAR-100 (100 classes), not on CIFAR-100"
                + " (coarse labels, 20 classes)"), fineOnCoarse.getMessage());
        // --labels without --dataset cifar100, and an unknown dataset, are the commands' usage errors (train's cli)
    }

    @Test
    void predictPrintsCifar100Names() throws IOException {
        Path folder = Files.createDirectories(tmp.resolve("pngs"));
        for (int i = 0; i < 3; i++) {
            PredictorTest.writePng(folder.resolve("img" + i + ".png"),
                    Arrays.copyOfRange(pixels, i * 3072, (i + 1) * 3072), 32, 32);
        }
        List<String> lines = Predictor.predictFiles(fineDir, Optional.of(DatasetChoice.CIFAR100), 2, 1,
                List.of(folder)).stream().sorted().toList();
        assertEquals(3, lines.size(), lines.toString());
        float[] logits = fine.logits(Normalization.CIFAR100.apply(Arrays.copyOf(pixels, 3 * 3072)), 3);
        for (int i = 0; i < 3; i++) {
            String name = CifarVariant.CIFAR100.wellKnownClassNames().get(Evaluator.argMax(logits, i, 100));
            assertTrue(lines.get(i).startsWith(folder.resolve("img" + i + ".png") + ": " + name + " "), lines.get(i));
            assertEquals(2, lines.get(i).chars().filter(ch -> ch == '%').count(), lines.get(i));
        }
        EvalException wrong = assertThrows(EvalException.class, () -> Predictor.predictFiles(fineDir,
                Optional.of(DatasetChoice.CIFAR10), 3, 1, List.of(folder)));
        assertTrue(wrong.getMessage().contains("was trained on CIFAR-100 (100 classes), not on CIFAR-10"),
                wrong.getMessage());
    }

    /**
     * Where the real CIFAR-100 is, found as the commands find it but without downloading, and with
     * {@code AIRBENCH_DATA} only looked in (CI may point it at CIFAR-10); null if absent.
     */
    private static Path realCifar100() {
        List<Path> folders = new ArrayList<>();
        for (String folder : new String[] {System.getenv("AIRBENCH_DATA"), System.getProperty("airbench.shared.data")}) {
            if (folder != null && !folder.isBlank()) {
                Path path = Path.of(folder);
                if (Files.isRegularFile(path)
                        && path.getFileName().toString().equals(CifarVariant.CIFAR100.archiveFileName())) {
                    return path;
                }
                folders.add(path);
            }
        }
        try {
            return DataLocator.locate(CifarVariant.CIFAR100, Optional.empty(), Map.of(), DataLocator.defaultCache(),
                    folders, Downloader.disabled("tests do not download"));
        } catch (DataException e) {
            return null;
        }
    }

    /** Needs the real CIFAR-100 (CI has none); skipped, visibly, without it. */
    @Test
    void evaluateOnTheRealCifar100TestSetMatchesTheTrainedModel() throws IOException {
        Path source = realCifar100();
        assumeTrue(source != null, "no CIFAR-100 found (AIRBENCH_DATA, " + DataLocator.defaultCache()
                + ", ../shared/data); see ../shared/data/README.md, section CIFAR-100; skipped");
        Path json = tmp.resolve("evaluation.json");
        TestSetEvaluation result = TestSetEvaluation.run(fineDir, Optional.empty(), 0, 2, Optional.of(source),
                List.of());
        result.writeJson(json);
        String printed = String.join("\n", result.lines());
        assertTrue(printed.contains("data: CIFAR-100 test split, 10000 images"), printed);

        CifarDataset test = CifarReader.read(source, DatasetChoice.CIFAR100).test();
        Map<Integer, Evaluation> expected = new Evaluator(fine::logits, Evaluator.DEFAULT_BATCH)
                .evaluateLevels(Normalization.CIFAR100.apply(test.images()), test.labels(), 100, 0);
        Evaluation e = expected.get(0);
        assertTrue(printed.contains(String.format(Locale.ROOT, "test accuracy with TTA level 0: %.4f (%d/%d"
                + " correct)", e.accuracy(), e.correct(), e.total())), printed);
        JsonNode written = new ObjectMapper().readTree(json.toFile());
        assertEquals("cifar100", written.get("dataset").asText());
        assertEquals(e.correct(), written.get("results").get(0).get("correct").asInt());
    }
}

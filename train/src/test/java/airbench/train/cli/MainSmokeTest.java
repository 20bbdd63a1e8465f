package airbench.train.cli;

import airbench.train.run.Json;
import airbench.train.run.RunFolder;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import airbench.model.CpuFeatures;
import airbench.model.ExecutionPlan;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real entry point on the real CIFAR-10 archive, with a tiny network and a slice of the data. */
class MainSmokeTest {
    /** The evaluate command's per-image predictions, written next to its evaluation.json. */
    private static final String PREDICTIONS = "predictions.csv";

    private static Path sharedData() {
        String env = System.getenv("AIRBENCH_DATA");
        String shared = System.getProperty("airbench.shared.data");
        for (String candidate : new String[] {env, shared}) {
            if (candidate != null && Files.exists(Path.of(candidate))) {
                return Path.of(candidate);
            }
        }
        return null;
    }

    @Test
    void tinyTrainingThroughMainWritesResultsAndAnExportThatEvaluatesTheSame(@TempDir Path out) throws Exception {
        Path data = sharedData();
        assumeTrue(data != null, "CIFAR-10 not found (AIRBENCH_DATA or ../shared/data); skipping the smoke run");
        int code = Main.run(new String[] {"--data-dir", data.toString(), "--train-subset", "4096", "--widths", "8,16,16",
                "--batch-size", "256", "--epochs", "2", "--tta", "1", "--output", out.toString(), "--threads", "2"});
        assertEquals(0, code);
        Path resultFile = onlyResultFile(out);
        JsonNode result = Json.MAPPER.readTree(resultFile.toFile());
        assertEquals("94", result.get("recipe").asText());
        assertEquals(32, result.get("steps").asInt());  // 2 epochs of 4096 / 256 batches
        double accuracy = result.get("tta_accuracy").asDouble();
        // 32 steps on 4,096 real images reach about 0.3; chance is 0.1.
        assertTrue(accuracy > 0.15 && accuracy <= 1, "32 steps on real data should beat chance clearly: " + accuracy);

        // The default configuration is what auto chooses on this CPU; the result says what ran and on what.
        ExecutionPlan plan = ExecutionPlan.resolve("auto", "auto", CpuFeatures.detect());
        JsonNode execution = result.get("execution");
        assertEquals(plan.toMap().get("precision"), execution.get("precision").asText());
        assertEquals(plan.toMap().get("compile"), execution.get("compile").asText());
        assertTrue(execution.get("onednn_active").asBoolean(), execution.toString());
        assertTrue(execution.get("convolution_kernel").asText().startsWith("_Mkl"), execution.toString());
        assertEquals(CpuFeatures.detect().model(), execution.at("/cpu/model_name").asText());
        assertEquals(CpuFeatures.detect().hasNativeBf16(), execution.at("/cpu/avx512_bf16").asBoolean()
                || execution.at("/cpu/amx_bf16").asBoolean());
        // The invocation stores auto's choice, so a resume continues with it.
        JsonNode stored = Json.MAPPER.readTree(resultFile.getParent().getParent().resolve("invocation.json").toFile());
        assertEquals(plan.toMap().get("precision"), stored.get("precision").asText());
        assertEquals(plan.toMap().get("compile"), stored.get("compile").asText());

        // The exported model, evaluated by the evaluate command, gives the accuracies the run printed.
        Path export = resultFile.getParent().resolve(RunFolder.MODEL_FOLDER);
        assertTrue(Files.isRegularFile(export.resolve("saved_model.pb")), "no SavedModel in " + export);
        JsonNode evaluated = evaluate(export, data, out);
        assertAccuraciesOfTheRun(result, evaluated);
        assertEquals(2, evaluated.get("results").size());

        // Test images written as PNG and classified by predict get evaluate's level-0 classes.
        Path pngs = out.resolve("pngs");
        assertEquals(0, Main.run(new String[] {"export-images", "--data-dir", data.toString(), "--first", "100",
                "--count", "6", "--out", pngs.toString()}));
        List<String> lines = predictTop1(export, pngs, 6);
        List<String> rows = Files.readAllLines(out.resolve(PREDICTIONS));
        List<String> classNames = airbench.data.CifarVariant.CIFAR10.wellKnownClassNames();
        for (int k = 0; k < 6; k++) {
            String[] row = rows.get(1 + 100 + k).split(",");
            String expected = classNames.get(Integer.parseInt(row[2]));
            assertTrue(lines.get(k).contains(String.format("test-%05d-", 100 + k)), lines.get(k));
            assertEquals(expected, predictedClass(lines.get(k)), lines.get(k));
        }
        // Exporting again into the same folder never overwrites.
        assertEquals(1, Main.run(new String[] {"export-images", "--data-dir", data.toString(), "--first", "100",
                "--count", "1", "--out", pngs.toString()}));
    }

    /** The one result.json below {@code out}. */
    private static Path onlyResultFile(Path out) throws java.io.IOException {
        List<Path> results;
        try (Stream<Path> files = Files.walk(out)) {
            results = files.filter(p -> p.getFileName().toString().equals("result.json")).toList();
        }
        assertEquals(1, results.size());
        return results.get(0);
    }

    /**
     * The evaluate command on {@code export} at TTA level 1 (levels 0 and 1), writing evaluation.json and
     * {@value #PREDICTIONS} into {@code out}; returns the evaluation.
     */
    private static JsonNode evaluate(Path export, Path data, Path out) throws java.io.IOException {
        Path evaluation = out.resolve("evaluation.json");
        assertEquals(0, Main.run(new String[] {"evaluate", "--model", export.toString(), "--data-dir", data.toString(),
                "--tta", "1", "--json", evaluation.toString(), "--threads", "2", "--predictions",
                out.resolve(PREDICTIONS).toString()}));
        return Json.MAPPER.readTree(evaluation.toFile());
    }

    /** Each TTA level's accuracy in the evaluation is the one the run wrote into its result. */
    private static void assertAccuraciesOfTheRun(JsonNode result, JsonNode evaluated) {
        for (JsonNode level : evaluated.get("results")) {
            String key = level.get("tta_level").asText();
            assertEquals(result.get("accuracy_by_tta_level").get(key).asDouble(), level.get("accuracy").asDouble(),
                    "accuracy at TTA level " + key);
        }
    }

    /** The predict command's lines, top class only, for the {@code count} PNG files in {@code pngs}, by file name. */
    private static List<String> predictTop1(Path export, Path pngs, int count) {
        String printed = captureStdout(() -> assertEquals(0, Main.run(new String[] {"predict", "--model",
                export.toString(), "--top", "1", pngs.toString()})));
        List<String> lines = printed.lines().filter(l -> l.contains(".png: ")).sorted().toList();
        assertEquals(count, lines.size(), printed);
        return lines;
    }

    /** The class a predict line names first: ".../test-00100-cat.png: cat 81.2%" gives "cat". */
    private static String predictedClass(String line) {
        return line.substring(line.indexOf(".png: ") + 6).split(" ")[0];
    }

    private static String captureStdout(Runnable action) {
        java.io.PrintStream original = System.out;
        java.io.ByteArrayOutputStream buffer = new java.io.ByteArrayOutputStream();
        System.setOut(new java.io.PrintStream(buffer, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            action.run();
        } finally {
            System.setOut(original);
        }
        return buffer.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

    @Test
    void anExistingExportIsRefusedBeforeTraining(@TempDir Path out) throws Exception {
        Path data = sharedData();
        assumeTrue(data != null, "CIFAR-10 not found (AIRBENCH_DATA or ../shared/data); skipping");
        Path export = Files.createDirectories(out.resolve("mine"));
        Files.writeString(export.resolve("keep.txt"), "user's file");
        int code = Main.run(new String[] {"--data-dir", data.toString(), "--train-subset", "512", "--widths", "8,8,8",
                "--epochs", "1", "--output", out.resolve("runs").toString(), "--export", export.toString()});
        assertEquals(1, code);
        assertEquals("user's file", Files.readString(export.resolve("keep.txt")));
        try (Stream<Path> files = Files.walk(out.resolve("runs"))) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().equals(RunFolder.CHECKPOINT_FILE)
                    || p.getFileName().toString().equals("result.json")), "training started despite the clash");
        }
    }

    @Test
    void dryRunReadsTheRealDataAndStops() {
        Path data = sharedData();
        assumeTrue(data != null, "CIFAR-10 not found (AIRBENCH_DATA or ../shared/data); skipping");
        assertEquals(0, Main.run(new String[] {"--data-dir", data.toString(), "--recipe", "95", "--dry-run"}));
    }

    @Test
    void missingDataExitsWithOne(@TempDir Path empty) {
        assertEquals(1, Main.run(new String[] {"--data-dir", empty.resolve("absent").toString(), "--dry-run"}));
    }

    /**
     * The real CIFAR-100, found as the trainer finds it but without downloading, and with {@code AIRBENCH_DATA}
     * only looked in (CI may point it at CIFAR-10); null where absent (CI).
     */
    private static Path cifar100() {
        List<Path> folders = new java.util.ArrayList<>();
        for (String folder : new String[] {System.getenv("AIRBENCH_DATA"), System.getProperty("airbench.shared.data")}) {
            if (folder != null && !folder.isBlank()) {
                Path path = Path.of(folder);
                if (Files.isRegularFile(path) && path.getFileName().toString()
                        .equals(airbench.data.CifarVariant.CIFAR100.archiveFileName())) {
                    return path;
                }
                folders.add(path);
            }
        }
        try {
            return airbench.data.DataLocator.locate(airbench.data.CifarVariant.CIFAR100, java.util.Optional.empty(),
                    java.util.Map.of(), airbench.data.DataLocator.defaultCache(), folders,
                    airbench.data.Downloader.disabled("tests do not download"));
        } catch (airbench.data.DataException e) {
            return null;
        }
    }

    @Test
    void tinyCifar100TrainingThroughMainEvaluatesAndPredictsWithItsNames(@TempDir Path out) throws Exception {
        Path data = cifar100();
        assumeTrue(data != null, "CIFAR-100 not found (AIRBENCH_DATA, ~/.cache/airbench, ../shared/data; see"
                + " ../shared/data/README.md, section CIFAR-100); skipping the CIFAR-100 smoke run");
        int code = Main.run(new String[] {"--dataset", "cifar100", "--data-dir", data.toString(), "--train-subset",
                "4096", "--widths", "8,16,16", "--batch-size", "256", "--epochs", "2", "--tta", "1", "--output",
                out.toString(), "--threads", "2", "--no-tensorboard"});
        assertEquals(0, code);
        Path resultFile = onlyResultFile(out);
        Path runDir = resultFile.getParent();
        assertTrue(runDir.getParent().getFileName().toString().startsWith("94-cifar100-"), runDir.toString());
        JsonNode result = Json.MAPPER.readTree(resultFile.toFile());
        assertEquals("cifar100", result.get("dataset").asText());
        assertEquals(100, result.at("/hyperparameters/network/num_classes").asInt());
        JsonNode perClass = result.get("per_class_accuracy");
        assertEquals(100, perClass.size());
        int correct = 0;
        for (JsonNode c : perClass) {
            assertEquals(100, c.get("total").asInt(), c.toString());  // the official test set: 100 images a class
            correct += c.get("correct").asInt();
        }
        assertEquals("apple", perClass.get(0).get("name").asText());
        assertEquals(result.get("tta_accuracy").asDouble(), correct / 10_000.0, 1e-12);

        // evaluate takes the dataset from the model and prints the run's accuracies.
        Path export = runDir.resolve(RunFolder.MODEL_FOLDER);
        JsonNode evaluated = evaluate(export, data, out);
        assertEquals("cifar100", evaluated.get("dataset").asText());
        assertAccuraciesOfTheRun(result, evaluated);
        // ... and refuses it on CIFAR-10.
        assertEquals(1, Main.run(new String[] {"evaluate", "--model", export.toString(), "--dataset", "cifar10"}));

        // CIFAR-100 test images as PNG files, named with their fine class, classified by predict with fine names.
        Path pngs = out.resolve("pngs");
        assertEquals(0, Main.run(new String[] {"export-images", "--dataset", "cifar100", "--data-dir", data.toString(),
                "--first", "100", "--count", "5", "--out", pngs.toString()}));
        List<String> names = airbench.data.DatasetChoice.CIFAR100.wellKnownClassNames();
        List<String> rows = Files.readAllLines(out.resolve(PREDICTIONS));
        List<String> written;
        try (Stream<Path> files = Files.list(pngs)) {
            written = files.map(p -> p.getFileName().toString()).sorted().toList();
        }
        for (int k = 0; k < 5; k++) {
            String label = names.get(Integer.parseInt(rows.get(1 + 100 + k).split(",")[1]));
            assertEquals(String.format("test-%05d-%s.png", 100 + k, label), written.get(k));
        }
        List<String> lines = predictTop1(export, pngs, 5);
        for (int k = 0; k < 5; k++) {
            String expected = names.get(Integer.parseInt(rows.get(1 + 100 + k).split(",")[2]));
            assertEquals(expected, predictedClass(lines.get(k)), lines.get(k));
        }
    }

    @Test
    void aWrongDatasetCombinationStopsBeforeTraining(@TempDir Path out) {
        assertEquals(2, Main.run(new String[] {"--labels", "coarse", "--dry-run"}));
        assertEquals(2, Main.run(new String[] {"--dataset", "svhn", "--dry-run"}));
        assertEquals(2, Main.run(new String[] {"export-images", "--labels", "coarse", "--out", out.toString()}));
        Path data = sharedData();
        assumeTrue(data != null, "CIFAR-10 not found (AIRBENCH_DATA or ../shared/data); skipping the CIFAR-10-data-for-"
                + "CIFAR-100 check");
        // The CIFAR-10 copy given for CIFAR-100 is recognized and refused, naming the option to choose it.
        assertEquals(1, Main.run(new String[] {"--dataset", "cifar100", "--data-dir", data.toString(), "--output",
                out.toString(), "--dry-run"}));
    }
}

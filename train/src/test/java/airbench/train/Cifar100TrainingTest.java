package airbench.train;

import airbench.train.run.Checkpoint;
import airbench.train.run.Json;
import airbench.train.run.RunFolder;
import airbench.train.run.SeedRun;
import airbench.train.run.TrainOptionTable;
import airbench.train.run.TrainOptions;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import airbench.data.CifarDataset;
import airbench.data.DatasetChoice;
import airbench.data.LabelSet;
import airbench.data.Normalization;
import airbench.eval.ClassAccuracy;
import airbench.eval.Evaluation;
import airbench.eval.Evaluator;
import airbench.eval.ExportedModel;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tiny end-to-end trainings on synthetic CIFAR-100 data (fine and coarse labels): the loss falls, the
 * results and the export record the dataset, and the wrong combinations of options, data and
 * checkpoints are refused.
 */
class Cifar100TrainingTest {

    private static TrainOptions options(String epochs, String... more) {
        List<String> args = new ArrayList<>(List.of("--widths", "16,32,32", "--batch-size", "256", "--epochs", epochs,
                "--threads", "2"));
        args.addAll(List.of(more));
        return TrainOptions.resolve(TrainOptionTable.parse(args.toArray(String[]::new), new Properties()));
    }

    @Test
    void aTinyCifar100InvocationLearnsAndRecordsItsDatasetEverywhere(@TempDir Path out) throws Exception {
        CifarDataset train = SyntheticCifar.make100("train", 2560, 1, LabelSet.FINE);
        CifarDataset test = SyntheticCifar.make100("test", 500, 2, LabelSet.FINE);
        TrainOptions options = options("4", "--dataset", "cifar100", "--seed", "3", "--no-tensorboard");
        Path dir = RunFolder.create(out, options.recipe(), options.dataset(), options.pinnedRaw());
        assertTrue(dir.getFileName().toString().startsWith("94-cifar100-"), dir.toString());

        RunFolder.Summary summary = RunFolder.run(dir, options, train, test);

        assertEquals("cifar100", summary.dataset());
        RunResult result = Json.read(dir.resolve("seed-3/result.json"), RunResult.class);
        List<EpochRecord> history = result.history();
        assertEquals(4, history.size());
        // Label-smoothed cross-entropy of 100 classes starts near ln(100) = 4.6 per image and, with smoothing
        // 0.2, cannot go below 1.4; the 1/9 head makes the first epochs slow (measured: 4.58 -> 4.33 in 40 steps,
        // while a network that learns nothing stays at 4.6).
        assertTrue(history.get(0).trainLoss() > 4.2, history.toString());
        assertTrue(history.get(3).trainLoss() < history.get(0).trainLoss() - 0.15, "the loss should fall: " + history);
        assertTrue(result.ttaAccuracy() > 0.05, "100 classes: chance is 0.01, got " + result.ttaAccuracy());
        assertEquals(100, ((Map<?, ?>) result.hyperparameters().get("network")).get("num_classes"));

        // The dataset and a per-class summary at the run's TTA level, consistent with the overall accuracy.
        assertEquals("cifar100", result.dataset());
        List<ClassAccuracy> perClass = result.perClassAccuracy();
        assertEquals(100, perClass.size());
        int correct = 0;
        for (int k = 0; k < 100; k++) {
            assertEquals(k, perClass.get(k).label());
            assertEquals(SyntheticCifar.FINE.get(k), perClass.get(k).name());
            assertEquals(5, perClass.get(k).total());  // 500 test images, labels 37 i mod 100
            correct += perClass.get(k).correct();
        }
        assertEquals(result.ttaAccuracy(), correct / 500.0, 1e-12);
        JsonNode json = Json.MAPPER.readTree(dir.resolve("seed-3/result.json").toFile());
        assertEquals("cifar100", json.get("dataset").asText());
        assertEquals("fine7", json.at("/per_class_accuracy/7/name").asText());
        assertEquals(perClass.get(7).accuracy(), json.at("/per_class_accuracy/7/accuracy").asDouble(), 0);
        assertEquals("cifar100", Json.MAPPER.readTree(dir.resolve("summary.json").toFile()).get("dataset").asText());

        // The export: CIFAR-100's names and normalization; evaluated as evaluate does, the run's accuracies.
        Path export = dir.resolve("seed-3/model");
        String metadata = Files.readString(export.resolve("airbench-model.json"));
        assertTrue(metadata.contains("\"dataset\": \"cifar100\"") && metadata.contains("\"num_classes\": 100")
                && metadata.contains("\"fine99\"]") && metadata.contains("\"mean\": [0.5071, 0.4865, 0.4409]"),
                metadata);
        try (ExportedModel model = ExportedModel.load(export, 2)) {
            assertEquals(DatasetChoice.CIFAR100, model.datasetFor(Optional.empty()));
            assertEquals(SyntheticCifar.FINE, model.classNames());
            Map<Integer, Evaluation> levels = new Evaluator(model).evaluateLevels(
                    Normalization.CIFAR100.apply(test.images()), test.labels(), 100, 0, 1, 2);
            levels.forEach((level, e) -> assertEquals(result.accuracyByTtaLevel().get(String.valueOf(level)),
                    e.accuracy(), 0, "TTA level " + level));
        }
    }

    @Test
    void coarseLabelsTrainATwentyClassHead(@TempDir Path dir) throws Exception {
        CifarDataset train = SyntheticCifar.make100("train", 1024, 3, LabelSet.COARSE);
        CifarDataset test = SyntheticCifar.make100("test", 200, 4, LabelSet.COARSE);
        TrainOptions options = options("2", "--dataset", "cifar100", "--labels", "coarse", "--tta", "0",
                "--no-tensorboard");
        RunResult result = new SeedRun(options, train, test, TrainingListener.all(List.of()))
                .run(0, dir.resolve("seed-0"));

        assertEquals("cifar100-coarse", result.dataset());
        assertEquals(20, result.perClassAccuracy().size());
        assertEquals("coarse19", result.perClassAccuracy().get(19).name());
        assertTrue(result.history().get(1).trainLoss() < result.history().get(0).trainLoss(),
                "the loss should fall: " + result.history());
        String metadata = Files.readString(dir.resolve("seed-0/model/airbench-model.json"));
        assertTrue(metadata.contains("\"dataset\": \"cifar100-coarse\"") && metadata.contains("\"num_classes\": 20"),
                metadata);
    }

    @Test
    void dataOfAnotherDatasetThanTheOptionsIsRefused() {
        CifarDataset cifar10 = SyntheticCifar.make("train", 512, 1);
        CifarDataset fine = SyntheticCifar.make100("train", 512, 1, LabelSet.FINE);
        CifarDataset coarse = SyntheticCifar.make100("test", 256, 1, LabelSet.COARSE);
        TrainingListener none = TrainingListener.all(List.of());

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new SeedRun(options("1", "--dataset", "cifar100"), cifar10, fine, none));
        assertEquals("the options train on CIFAR-100 but the train split given is CIFAR-10; read the data with the"
                + " options' dataset (--dataset cifar100)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new SeedRun(options("1"), fine, fine, none));
        assertTrue(e.getMessage().startsWith("the options train on CIFAR-10 but the train split given is CIFAR-100;"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new SeedRun(options("1", "--dataset", "cifar100"), fine, coarse, none));
        assertTrue(e.getMessage().contains("the test split given is CIFAR-100 (coarse labels)"), e.getMessage());
        // A recipe whose head was not sized for the dataset (a library caller building the options itself).
        TrainOptions hundred = options("1", "--dataset", "cifar100");
        TrainOptions tenClassHead = new TrainOptions(hundred.recipe().toBuilder().network(hundred.recipe().network()
                .withNumClasses(10)).build(), 0, 1, Optional.empty(), DatasetChoice.CIFAR100, hundred.execution(), true, 2, 0,
                false, hundred.output(), Optional.empty(), Optional.empty(), false, hundred.raw());
        e = assertThrows(IllegalArgumentException.class, () -> new SeedRun(tenClassHead, fine, fine, none));
        assertTrue(e.getMessage().startsWith("the recipe's head has 10 classes but CIFAR-100 has 100"), e.getMessage());
    }

    @Test
    void aCheckpointOfAnotherDatasetIsRefused(@TempDir Path dir) throws Exception {
        CifarDataset cifar10 = SyntheticCifar.make("train", 512, 1);
        CifarDataset cifar10Test = SyntheticCifar.make("test", 100, 2);
        Path run = dir.resolve("seed-1");
        TrainingListener crashAfterFirstEpoch = new TrainingListener() {
            @Override
            public void epochEnded(long seed, EpochRecord record) {
                throw new IllegalStateException("simulated crash after epoch " + record.epoch());
            }
        };
        assertThrows(IllegalStateException.class, () -> new SeedRun(options("2", "--epoch-eval", "false"), cifar10,
                cifar10Test, crashAfterFirstEpoch).run(1, run));
        assertTrue(Files.exists(run.resolve(RunFolder.CHECKPOINT_FILE)));
        assertEquals("cifar10", Checkpoint.read(run.resolve(RunFolder.CHECKPOINT_FILE)).header().dataset());

        CifarDataset fine = SyntheticCifar.make100("train", 512, 1, LabelSet.FINE);
        CifarDataset fineTest = SyntheticCifar.make100("test", 100, 2, LabelSet.FINE);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> new SeedRun(options("2",
                "--epoch-eval", "false", "--dataset", "cifar100"), fine, fineTest, TrainingListener.all(List.of()))
                .run(1, run));
        assertEquals("checkpoint " + run.resolve(RunFolder.CHECKPOINT_FILE) + " belongs to a run on CIFAR-10, and this run"
                + " trains on CIFAR-100. Resume it with --dataset cifar10 (the options it was started with), or start"
                + " the new run in another folder.", e.getMessage());

        // A checkpoint written before datasets were recorded is CIFAR-10's: refused for CIFAR-100 too.
        Checkpoint.Contents contents = Checkpoint.read(run.resolve(RunFolder.CHECKPOINT_FILE));
        Checkpoint.Header h = contents.header();
        Checkpoint.write(run.resolve(RunFolder.CHECKPOINT_FILE), new Checkpoint.Header(h.recipe(), h.seed(), h.steps(),
                h.history(), h.trainSeconds(), h.wallSeconds(), h.resumedTimes(), h.batchWaitSeconds()),
                contents.state());
        e = assertThrows(IllegalStateException.class, () -> new SeedRun(options("2", "--epoch-eval", "false",
                "--dataset", "cifar100", "--labels", "coarse"), SyntheticCifar.make100("train", 512, 1,
                LabelSet.COARSE), SyntheticCifar.make100("test", 100, 2, LabelSet.COARSE),
                TrainingListener.all(List.of())).run(1, run));
        assertTrue(e.getMessage().contains("belongs to a run on CIFAR-10, and this run trains on CIFAR-100 (coarse"
                + " labels)"), e.getMessage());
    }
}

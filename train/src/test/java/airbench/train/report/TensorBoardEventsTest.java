package airbench.train.report;

import airbench.train.RunResult;
import airbench.train.Schedule;
import airbench.train.StopSignal;
import airbench.train.TinyTraining;
import airbench.train.TrainingListener;
import airbench.train.TrainingStoppedException;
import airbench.train.run.Checkpoint;
import airbench.train.run.Json;
import airbench.train.run.RunFolder;
import airbench.train.run.TrainOptionTable;
import airbench.train.run.TrainOptions;
import airbench.train.run.UsageException;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.proto.Event;
import org.tensorflow.proto.HistogramProto;
import org.tensorflow.proto.SessionLog;
import org.tensorflow.proto.Summary;

/**
 * TensorBoard event files of tiny trainings on synthetic data, read back by {@link TfRecordReader}: framing
 * and both CRCs, the values against the run's own result.json and step losses, and a resumed run that has
 * every step exactly once.
 */
class TensorBoardEventsTest {
    private static final int BATCH = TinyTraining.BATCH_SIZE;
    private static final int STEPS_PER_EPOCH = 10;  // 2,560 images / 256
    private static final TinyTraining.SyntheticImages SYNTHETIC = TinyTraining.syntheticImages(TinyTraining.TRAIN_IMAGES);

    private static TrainOptions tiny(String... more) {
        return TinyTraining.options("3", more);
    }

    private static RunResult train(TrainOptions options, Path runDir, TinyTraining.Recorder recorder) throws Exception {
        return SYNTHETIC.trainer(options, TrainingListener.all(List.of(new TensorBoardListener(options::tensorboardFolder), recorder)))
                .run(5, runDir);
    }

    private static Path eventFile(Path folder) throws Exception {
        try (Stream<Path> files = Files.list(folder)) {
            List<Path> found = files.filter(p -> p.getFileName().toString().startsWith("events.out.tfevents.")).toList();
            assertEquals(1, found.size(), "one event file per run: " + found);
            return found.get(0);
        }
    }

    /** step -> value of every scalar with {@code tag}, failing on a step seen twice. */
    private static TreeMap<Long, Float> scalars(List<Event> events, String tag) {
        TreeMap<Long, Float> values = new TreeMap<>();
        for (Event e : events) {
            for (Summary.Value v : e.getSummary().getValueList()) {
                if (v.getTag().equals(tag)) {
                    assertEquals(Summary.Value.ValueCase.SIMPLE_VALUE, v.getValueCase(), tag);
                    Float before = values.put(e.getStep(), v.getSimpleValue());
                    assertTrue(before == null, tag + " at step " + e.getStep() + " appears twice");
                }
            }
        }
        return values;
    }

    private static List<Event> withTag(List<Event> events, String tag) {
        return events.stream().filter(e -> e.getSummary().getValueList().stream().anyMatch(v -> v.getTag().equals(tag)))
                .toList();
    }

    private static List<Long> steps(long first, long last) {
        return LongStream.rangeClosed(first, last).boxed().toList();
    }

    @Test
    void tinyTrainingsEventFileHoldsTheRunsValues(@TempDir Path dir) throws Exception {
        TrainOptions options = tiny();
        TinyTraining.Recorder recorder = TinyTraining.Recorder.uninterrupted();
        Path runDir = dir.resolve("inv").resolve("seed-5");
        RunResult result = train(options, runDir, recorder);

        List<Event> events = TfRecordReader.read(eventFile(runDir.resolve("tensorboard")));
        assertEquals("brain.Event:2", events.get(0).getFileVersion());
        assertTrue(events.get(0).getWallTime() > 1.7e9, "wall time in seconds since 1970");

        // Per step: the batch's mean loss per image, and the schedule's multiplier.
        TreeMap<Long, Float> loss = scalars(events, "train/loss");
        assertEquals(steps(1, 30), List.copyOf(loss.keySet()));
        Schedule schedule = Schedule.of(options.recipe(), STEPS_PER_EPOCH);
        TreeMap<Long, Float> lr = scalars(events, "train/lr_multiplier");
        assertEquals(steps(1, 30), List.copyOf(lr.keySet()));
        for (int step = 0; step < 30; step++) {
            assertEquals((float) (recorder.losses.get(step) / BATCH), loss.get(step + 1L), "loss of step " + (step + 1));
            assertEquals((float) schedule.lrMultiplier(step), lr.get(step + 1L), "lr multiplier of step " + (step + 1));
        }

        // Per epoch: exactly result.json's history, at the epoch's last step.
        JsonNode history = Json.MAPPER.readTree(runDir.resolve("result.json").toFile()).get("history");
        assertEquals(3, history.size());
        TreeMap<Long, Float> trainLoss = scalars(events, "epoch/train_loss");
        TreeMap<Long, Float> trainAccuracy = scalars(events, "epoch/train_accuracy");
        TreeMap<Long, Float> testAccuracy = scalars(events, "epoch/test_accuracy");
        TreeMap<Long, Float> secondsPerStep = scalars(events, "epoch/seconds_per_step");
        for (TreeMap<Long, Float> values : List.of(trainLoss, trainAccuracy, testAccuracy, secondsPerStep)) {
            assertEquals(List.of(10L, 20L, 30L), List.copyOf(values.keySet()));
        }
        double secondsBefore = -1;
        for (JsonNode epoch : history) {
            long step = epoch.get("steps").asLong();
            assertEquals((float) epoch.get("train_loss").asDouble(), trainLoss.get(step), "train loss at " + step);
            assertEquals((float) epoch.get("train_accuracy").asDouble(), trainAccuracy.get(step), "train accuracy");
            assertEquals((float) epoch.get("test_accuracy").asDouble(), testAccuracy.get(step), "test accuracy");
            double mean = loss.subMap(step - 9, true, step, true).values().stream().mapToDouble(Float::doubleValue)
                    .average().orElseThrow();
            assertEquals(epoch.get("train_loss").asDouble(), mean, 1e-5, "epoch loss = mean of its step losses");
            assertTrue(secondsPerStep.get(step) > 0, "seconds per step");
            if (secondsBefore >= 0) {
                assertEquals((epoch.get("train_seconds").asDouble() - secondsBefore) / STEPS_PER_EPOCH,
                        secondsPerStep.get(step), 1e-4);
            }
            secondsBefore = epoch.get("train_seconds").asDouble();
        }

        // At the end: every TTA level's accuracy.
        assertEquals(3, result.accuracyByTtaLevel().size());
        result.accuracyByTtaLevel().forEach((level, accuracy) ->
                assertEquals(Map.of(30L, (float) (double) accuracy), scalars(events, "test/accuracy_tta_level_" + level)));

        // Once: the whitening filters as a PNG image (24 filters of 2x2 taps, 8 per row).
        List<Event> images = withTag(events, TensorBoardListener.WHITENING_TAG);
        assertEquals(1, images.size());
        assertEquals(0, images.get(0).getStep());
        Summary.Image image = images.get(0).getSummary().getValue(0).getImage();
        BufferedImage png = ImageIO.read(new ByteArrayInputStream(image.getEncodedImageString().toByteArray()));
        assertEquals(image.getWidth(), png.getWidth());
        assertEquals(image.getHeight(), png.getHeight());
        assertEquals(4 + 8 * (24 + 4), png.getWidth());
        assertEquals(4 + 3 * (24 + 4), png.getHeight());

        // Per epoch: a histogram of every kernel, bias and BatchNorm shift; none of the running statistics.
        Map<String, float[]> weights = Checkpoint.read(runDir.resolve(RunFolder.WEIGHTS_FILE)).state();
        for (String name : weights.keySet()) {
            List<Event> histograms = withTag(events, "weights/" + name);
            if (name.endsWith("/mean") || name.endsWith("/variance")) {
                assertTrue(histograms.isEmpty(), name);
                continue;
            }
            assertEquals(List.of(10L, 20L, 30L), histograms.stream().map(Event::getStep).toList(), name);
            for (Event e : histograms) {
                HistogramProto h = e.getSummary().getValueList().stream()
                        .filter(v -> v.getTag().equals("weights/" + name)).findFirst().orElseThrow().getHisto();
                assertEquals(weights.get(name).length, h.getNum(), name);
                assertEquals(h.getNum(), h.getBucketList().stream().mapToDouble(Double::doubleValue).sum(), 0.0, name);
                assertEquals(h.getMax(), h.getBucketLimit(h.getBucketLimitCount() - 1), 0.0, name);
                assertTrue(h.getMin() <= h.getMax(), name);
            }
        }
        assertTrue(weights.containsKey("block1/conv1/kernel") && weights.containsKey("head/kernel"), weights.keySet().toString());
    }

    @Test
    void resumedRunsFileHasEveryStepExactlyOnce(@TempDir Path dir) throws Exception {
        TrainOptions options = tiny("--epoch-eval", "false");
        TinyTraining.Recorder straight = TinyTraining.Recorder.uninterrupted();
        train(options, dir.resolve("a").resolve("seed-5"), straight);

        // Crash at step 15, in the middle of epoch 2: the checkpoint is at step 10, the file has steps 1..15.
        Path runDir = dir.resolve("b").resolve("seed-5");
        assertThrows(IllegalStateException.class, () -> train(options, runDir, TinyTraining.Recorder.crashingAfterStep(14)));
        Path file = eventFile(runDir.resolve("tensorboard"));
        assertEquals(steps(1, 15), List.copyOf(scalars(TfRecordReader.read(file), "train/loss").keySet()),
                "before resuming, the file holds the steps after the checkpoint too");

        TinyTraining.Recorder resumed = TinyTraining.Recorder.uninterrupted();
        RunResult result = train(options, runDir, resumed);
        assertEquals(1, result.resumedTimes());
        assertEquals(file, eventFile(runDir.resolve("tensorboard")), "the resumed run appends to the same file");
        List<Event> events = TfRecordReader.read(file);
        TreeMap<Long, Float> loss = scalars(events, "train/loss");  // fails on a step written twice
        assertEquals(steps(1, 30), List.copyOf(loss.keySet()));
        for (int step = 0; step < 30; step++) {
            assertEquals((float) (straight.losses.get(step) / BATCH), loss.get(step + 1L), "loss of step " + (step + 1));
        }
        assertEquals(steps(1, 30), List.copyOf(scalars(events, "train/lr_multiplier").keySet()));
        assertEquals(List.of(10L, 20L, 30L), List.copyOf(scalars(events, "epoch/train_loss").keySet()));
        assertEquals(List.of(10L, 20L, 30L), withTag(events, "weights/head/kernel").stream().map(Event::getStep).toList());
        assertEquals(1, withTag(events, TensorBoardListener.WHITENING_TAG).size());
        assertEquals(1, events.stream().filter(e -> e.hasFileVersion() || !e.getFileVersion().isEmpty()).count());
        List<Event> restarts = events.stream().filter(Event::hasSessionLog).toList();
        assertEquals(1, restarts.size());
        assertEquals(SessionLog.SessionStatus.START, restarts.get(0).getSessionLog().getStatus());
        assertEquals(11, restarts.get(0).getStep(), "tells a running TensorBoard to drop what came after step 10");
        // Steps are in order in the file, as TensorBoard expects of one run.
        List<Long> order = events.stream().map(Event::getStep).toList();
        for (int i = 1; i < order.size(); i++) {
            assertTrue(order.get(i) >= order.get(i - 1), "step order at record " + i + ": " + order);
        }
    }

    /**
     * Stopped after 13 steps (mid-epoch 2, checkpoint at 13): the continued file has every step once, with the
     * uninterrupted run's losses and epoch values, and tells TensorBoard the run restarted after step 13.
     */
    @Test
    void aRunStoppedMidEpochContinuesItsFileWithEveryStepOnce(@TempDir Path dir) throws Exception {
        TrainOptions options = tiny("--epoch-eval", "false", "--tta", "0");
        TinyTraining.Recorder straight = TinyTraining.Recorder.uninterrupted();
        RunResult a = train(options, dir.resolve("a").resolve("seed-5"), straight);

        Path runDir = dir.resolve("b").resolve("seed-5");
        StopSignal stop = new StopSignal();
        TinyTraining.Recorder stopping = TinyTraining.Recorder.stoppingAfterStep(12, stop);
        assertThrows(TrainingStoppedException.class, () -> SYNTHETIC.trainer(options, TrainingListener.all(List.of(
                new TensorBoardListener(options::tensorboardFolder), stopping)), stop).run(5, runDir));
        RunResult b = train(options, runDir, TinyTraining.Recorder.uninterrupted());
        assertEquals(1, b.resumedTimes());

        List<Event> events = TfRecordReader.read(eventFile(runDir.resolve("tensorboard")));
        TreeMap<Long, Float> loss = scalars(events, "train/loss");  // fails on a step written twice
        assertEquals(steps(1, 30), List.copyOf(loss.keySet()));
        for (int step = 0; step < 30; step++) {
            assertEquals((float) (straight.losses.get(step) / BATCH), loss.get(step + 1L), "loss of step " + (step + 1));
        }
        TreeMap<Long, Float> epochLoss = scalars(events, "epoch/train_loss");
        assertEquals(List.of(10L, 20L, 30L), List.copyOf(epochLoss.keySet()));
        for (int epoch = 0; epoch < 3; epoch++) {
            assertEquals((float) a.history().get(epoch).trainLoss(), epochLoss.get(10L * (epoch + 1)),
                    "epoch " + (epoch + 1) + "'s loss, as the uninterrupted run's");
        }
        List<Event> restarts = events.stream().filter(Event::hasSessionLog).toList();
        assertEquals(1, restarts.size());
        assertEquals(14, restarts.get(0).getStep(), "tells a running TensorBoard to drop what came after step 13");
    }

    /**
     * Stopped at the end of epoch 1 (after step 10, before its test evaluation): the continuation writes epoch 1's
     * values at step 10 with the uninterrupted run's test accuracy, then the restart marker at step 11, then its
     * steps; the file holds every value once and its steps in order.
     */
    @Test
    void aRunStoppedAtAnEpochEndWritesThatEpochOnceBeforeItsRestartMarker(@TempDir Path dir) throws Exception {
        TrainOptions options = tiny("--tta", "0");
        RunResult a = train(options, dir.resolve("a").resolve("seed-5"), TinyTraining.Recorder.uninterrupted());

        Path runDir = dir.resolve("b").resolve("seed-5");
        StopSignal stop = new StopSignal();
        TinyTraining.Recorder stopping = TinyTraining.Recorder.stoppingAfterStep(9, stop);
        assertThrows(TrainingStoppedException.class, () -> SYNTHETIC.trainer(options, TrainingListener.all(List.of(
                new TensorBoardListener(options::tensorboardFolder), stopping)), stop).run(5, runDir));
        assertTrue(stopping.epochs.isEmpty(), "the stop came before epoch 1's evaluation");
        assertTrue(scalars(TfRecordReader.read(eventFile(runDir.resolve("tensorboard"))), "epoch/test_accuracy").isEmpty());
        train(options, runDir, TinyTraining.Recorder.uninterrupted());

        List<Event> events = TfRecordReader.read(eventFile(runDir.resolve("tensorboard")));
        assertEquals(steps(1, 30), List.copyOf(scalars(events, "train/loss").keySet()));
        TreeMap<Long, Float> testAccuracy = scalars(events, "epoch/test_accuracy");
        assertEquals(List.of(10L, 20L, 30L), List.copyOf(testAccuracy.keySet()));
        for (int epoch = 0; epoch < 3; epoch++) {
            assertEquals(a.history().get(epoch).testAccuracy().floatValue(), testAccuracy.get(10L * (epoch + 1)),
                    "epoch " + (epoch + 1) + "'s test accuracy, as the uninterrupted run's");
        }
        List<Event> restarts = events.stream().filter(Event::hasSessionLog).toList();
        assertEquals(1, restarts.size());
        assertEquals(11, restarts.get(0).getStep());
        int restartAt = events.indexOf(restarts.get(0));
        assertTrue(events.indexOf(withTag(events, "epoch/test_accuracy").get(0)) < restartAt,
                "epoch 1's values come before the restart marker");
        List<Long> order = events.stream().map(Event::getStep).toList();
        for (int i = 1; i < order.size(); i++) {
            assertTrue(order.get(i) >= order.get(i - 1), "step order at record " + i + ": " + order);
        }
    }

    @Test
    void maskedCrcMatchesAnIndependentCrc32c() {
        assertEquals(0xE3069283, TfRecordReader.crc32c("123456789".getBytes(StandardCharsets.US_ASCII)));
        Random random = new Random(3);
        for (int n : new int[] {0, 1, 8, 100, 4097}) {
            byte[] data = new byte[n];
            random.nextBytes(data);
            assertEquals(TfRecordReader.masked(TfRecordReader.crc32c(data)), EventFile.maskedCrc32c(data, 0, n), "n=" + n);
        }
    }

    @Test
    void cuttingBackDropsLaterStepsAndADamagedTail(@TempDir Path dir) throws Exception {
        EventFile file = EventFile.create(dir, 1.8e9);
        for (long step = 1; step <= 5; step++) {
            file.append(List.of(EventFile.event(1.8e9, step, List.of(Summary.Value.newBuilder().setTag("x")
                    .setSimpleValue(step).build()))));
        }
        byte[] intact = Files.readAllBytes(file.path());
        Files.write(file.path(), java.util.Arrays.copyOf(intact, intact.length - 7));  // a half-written last record
        assertEquals(java.util.Set.of("x"), EventFile.truncateAfter(file.path(), 3));
        List<Event> events = TfRecordReader.read(file.path());
        assertEquals(List.of(0L, 1L, 2L, 3L), events.stream().map(Event::getStep).toList());
        EventFile.truncateAfter(file.path(), 10);  // nothing after step 10: nothing cut
        assertEquals(4, TfRecordReader.read(file.path()).size());

        byte[] bytes = Files.readAllBytes(file.path());
        bytes[bytes.length - 6] ^= 1;  // a flipped bit in the last record's payload
        Files.write(file.path(), bytes);
        assertThrows(IllegalStateException.class, () -> TfRecordReader.read(file.path()));
        EventFile.truncateAfter(file.path(), 10);
        assertEquals(3, TfRecordReader.read(file.path()).size(), "the damaged record is dropped");
    }

    @Test
    void eventFolderFollowsTheOptions(@TempDir Path dir) {
        Path runDir = dir.resolve("94-20261130-050000").resolve("seed-2");
        assertEquals(runDir.resolve("tensorboard"), tiny().tensorboardFolder(runDir).orElseThrow());
        assertEquals(dir.resolve("tb").resolve("94-20261130-050000").resolve("seed-2"),
                tiny("--tensorboard", dir.resolve("tb").toString()).tensorboardFolder(runDir).orElseThrow());
        assertFalse(tiny("--no-tensorboard").tensorboardFolder(runDir).isPresent());
        UsageException both = assertThrows(UsageException.class, () -> tiny("--no-tensorboard", "--tensorboard", "x"));
        assertTrue(both.getMessage().contains("exclude each other"), both.getMessage());
        java.util.Properties properties = new java.util.Properties();
        properties.setProperty("train.noTensorboard", "");
        assertEquals("true", TrainOptionTable.parse(new String[0], properties).get("no-tensorboard"));
    }

    @Test
    void histogramBucketsCountEveryValue() {
        float[] values = {-1f, -0.5f, 0f, 0f, 0.25f, 2f};
        HistogramProto h = TensorBoardListener.histogram(values);
        assertEquals(-1, h.getMin(), 0);
        assertEquals(2, h.getMax(), 0);
        assertEquals(6, h.getNum(), 0);
        assertEquals(0.75, h.getSum(), 1e-9);
        assertEquals(1 + 0.25 + 0.0625 + 4, h.getSumSquares(), 1e-9);
        assertEquals(TensorBoardListener.HISTOGRAM_BUCKETS, h.getBucketCount());
        assertEquals(1, h.getBucket(0), 0);                                    // -1 in [-1, -0.9)
        assertEquals(1, h.getBucket(TensorBoardListener.HISTOGRAM_BUCKETS - 1), 0);  // 2, the maximum
        assertEquals(2, h.getBucket(10), 0);                                   // both zeros in [0, 0.1)
        assertArrayEquals(new double[] {-0.9, -0.8}, new double[] {h.getBucketLimit(0), h.getBucketLimit(1)}, 1e-12);
    }
}

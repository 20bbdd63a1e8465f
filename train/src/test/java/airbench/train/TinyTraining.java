package airbench.train;

import airbench.train.run.Checkpoint;
import airbench.train.run.SeedRun;
import airbench.train.run.TrainOptionTable;
import airbench.train.run.TrainOptions;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import airbench.data.CifarDataset;
import airbench.train.run.Json;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The tiny trainings of this module's tests: trainers on synthetic data ({@link SyntheticCifar}), the
 * options of a narrow network that learns it in seconds, a listener that records a run and can crash it,
 * and the checks that a resumed run is bit for bit the uninterrupted one.
 */
public final class TinyTraining {
    /** The narrow network's block widths. */
    public static final String WIDTHS = "16,32,32";
    /** Images per step of {@link #options(String, String...)}. */
    public static final int BATCH_SIZE = 256;
    /** Synthetic training images that make 10 steps per epoch at {@link #BATCH_SIZE}. */
    public static final int TRAIN_IMAGES = 2560;

    private TinyTraining() {}

    /** Synthetic training and test images, and trainers on them. */
    public record SyntheticImages(CifarDataset train, CifarDataset test) {

        /** A trainer on these images. */
        public SeedRun trainer(TrainOptions options, TrainingListener listener) {
            return new SeedRun(options, train, test, listener);
        }

        /** A trainer on these images that stops when {@code stop} is requested. */
        public SeedRun trainer(TrainOptions options, TrainingListener listener, StopSignal stop) {
            return new SeedRun(options, train, test, listener, true, stop);
        }

        /**
         * Runs {@code options} into {@code runDir} until {@code crashing} crashes the run (with an
         * {@link IllegalStateException}); returns the checkpoint the crashed run left.
         */
        public Checkpoint.Contents runUntilCrash(TrainOptions options, Recorder crashing, long seed, Path runDir) {
            assertThrows(IllegalStateException.class, () -> trainer(options, crashing).run(seed, runDir));
            return Checkpoint.read(runDir.resolve("checkpoint.bin"));
        }
    }

    /** {@code trainImages} synthetic training images (seed 1) and 500 synthetic test images (seed 2). */
    public static SyntheticImages syntheticImages(int trainImages) {
        return new SyntheticImages(SyntheticCifar.make("train", trainImages, 1), SyntheticCifar.make("test", 500, 2));
    }

    /**
     * Recipe 94's options (unless {@code more} names another recipe) for the narrow network on 2 threads,
     * {@link #BATCH_SIZE} images a step, {@code epochs} epochs, then {@code more} options.
     */
    public static TrainOptions options(String epochs, String... more) {
        return options(WIDTHS, BATCH_SIZE, epochs, more);
    }

    /** {@link #options(String, String...)} with other block widths and batch size. */
    public static TrainOptions options(String widths, int batchSize, String epochs, String... more) {
        List<String> args = new ArrayList<>(List.of("--widths", widths, "--batch-size", String.valueOf(batchSize),
                "--epochs", epochs, "--threads", "2"));
        args.addAll(List.of(more));
        return TrainOptions.resolve(TrainOptionTable.parse(args.toArray(String[]::new), new java.util.Properties()));
    }

    /**
     * Records what a run reports (its starts, every step's loss, every epoch) and can crash it, with an
     * {@link IllegalStateException}, to test resumption.
     */
    public static final class Recorder implements TrainingListener {
        public final List<RunStart> starts = new ArrayList<>();
        public final Map<Integer, Double> losses = new HashMap<>();
        public final List<EpochRecord> epochs = new ArrayList<>();
        /** Final evaluations started. */
        public int finalEvaluations;
        private static final int FINAL_EVALUATION = -2;
        private final int crashAfterEpoch;
        private final int crashAfterStep;
        private final int stopAfterStep;
        private final StopSignal stop;

        private Recorder(int crashAfterEpoch, int crashAfterStep) {
            this(crashAfterEpoch, crashAfterStep, -1, null);
        }

        private Recorder(int crashAfterEpoch, int crashAfterStep, int stopAfterStep, StopSignal stop) {
            this.crashAfterEpoch = crashAfterEpoch;
            this.crashAfterStep = crashAfterStep;
            this.stopAfterStep = stopAfterStep;
            this.stop = stop;
        }

        /**
         * Requests {@code stop} once step {@code step} (0-based) has ended, as a signal arriving during that step
         * would: the training stops after {@code step + 1} steps.
         */
        public static Recorder stoppingAfterStep(int step, StopSignal stop) {
            return new Recorder(-1, -1, step, stop);
        }

        /** Requests {@code stop} when the run's final evaluation starts, every step being done. */
        public static Recorder stoppingAtTheFinalEvaluation(StopSignal stop) {
            return new Recorder(-1, -1, FINAL_EVALUATION, stop);
        }

        /** Records and never interrupts. */
        public static Recorder uninterrupted() {
            return new Recorder(-1, -1);
        }

        /** Crashes the run once epoch {@code epoch} (1-based) has ended and its checkpoint is written. */
        public static Recorder crashingAfterEpoch(int epoch) {
            return new Recorder(epoch, -1);
        }

        /** Crashes the run once step {@code step} (0-based) has ended: inside an epoch, after its checkpoint. */
        public static Recorder crashingAfterStep(int step) {
            return new Recorder(-1, step);
        }

        @Override
        public void runStarted(RunStart start) {
            starts.add(start);
        }

        @Override
        public void stepEnded(long seed, int step, double lossSum) {
            losses.put(step, lossSum);
            if (step == stopAfterStep) {
                stop.request("a test's request after step " + (step + 1));
            }
            if (step == crashAfterStep) {
                throw new IllegalStateException("simulated crash after step " + (step + 1));
            }
        }

        @Override
        public void finalEvaluationStarted(long seed, int images, String method) {
            finalEvaluations++;
            if (stopAfterStep == FINAL_EVALUATION) {
                stop.request("a test's request as the final evaluation starts");
            }
        }

        @Override
        public void epochEnded(long seed, EpochRecord record) {
            epochs.add(record);
            if (record.epoch() == crashAfterEpoch) {
                throw new IllegalStateException("simulated crash after epoch " + crashAfterEpoch);
            }
        }
    }

    /**
     * Each of the first {@code steps} losses of {@code straight} equals, to the bit, the loss of the same
     * step in the interrupted run ({@code beforeCrash}, steps below {@code resumedAt}) or in its resumption
     * ({@code afterResume}, the steps from {@code resumedAt} on).
     */
    public static void assertSameLosses(Recorder straight, Recorder beforeCrash, Recorder afterResume, int resumedAt,
                                 int steps) {
        assertSameLosses(straight, steps, List.of(beforeCrash, afterResume), resumedAt);
    }

    /**
     * The same for a run interrupted more than once: {@code parts.get(0)} trained the steps below
     * {@code resumedAt[0]}, each further part those from where the previous one stopped, the last one the rest.
     */
    public static void assertSameLosses(Recorder straight, int steps, List<Recorder> parts, int... resumedAt) {
        assertEquals(parts.size() - 1, resumedAt.length, "one resumption between each two parts");
        int part = 0;
        for (int step = 0; step < steps; step++) {
            while (part < resumedAt.length && step >= resumedAt[part]) {
                part++;
            }
            Double loss = parts.get(part).losses.get(step);
            assertEquals(straight.losses.get(step), loss, "loss of step " + step + " (part " + part + ")");
        }
    }

    /** Every value of two histories but the timed seconds (which differ between any two runs) is the same, to the bit. */
    public static void assertSameHistory(List<EpochRecord> expected, List<EpochRecord> actual) {
        assertEquals(expected.size(), actual.size());
        for (int i = 0; i < expected.size(); i++) {
            EpochRecord a = expected.get(i);
            EpochRecord b = actual.get(i);
            assertEquals(a.epoch(), b.epoch());
            assertEquals(a.steps(), b.steps());
            assertEquals(a.trainLoss(), b.trainLoss(), 0.0, "train loss of epoch " + a.epoch());
            assertEquals(a.trainAccuracy(), b.trainAccuracy(), 0.0, "train accuracy of epoch " + a.epoch());
            assertEquals(a.testAccuracy(), b.testAccuracy(), "test accuracy of epoch " + a.epoch());
        }
    }

    /**
     * The final weights of two run folders have the same names and, to the bit, the same values;
     * returns the first run's.
     */
    public static Map<String, float[]> assertSameFinalWeights(Path runA, Path runB) {
        Map<String, float[]> weightsA = Checkpoint.read(runA.resolve("model-weights.bin")).state();
        Map<String, float[]> weightsB = Checkpoint.read(runB.resolve("model-weights.bin")).state();
        assertEquals(weightsA.keySet(), weightsB.keySet());
        weightsA.forEach((name, values) -> assertArrayEquals(values, weightsB.get(name), name));
        return weightsA;
    }

    /**
     * Fields of result.json that are not what the training computed: seconds measured on a busy machine, and the
     * provenance (date, the JVM's heap and cores, the commit as git sees it from the process's working folder,
     * which for a Spark executor lies outside the repository).
     */
    private static final List<String> NOT_COMPUTED = List.of("train_seconds", "wall_seconds", "batch_wait_seconds",
            "provenance");

    /**
     * A result.json without the fields a training does not compute (and without the history's timed seconds): two
     * trainings of one run, however interrupted, resumed or scheduled, give equal ones.
     */
    public static ObjectNode computedResult(String resultJson) throws IOException {
        ObjectNode node = (ObjectNode) Json.MAPPER.readTree(resultJson);
        NOT_COMPUTED.forEach(node::remove);
        node.get("history").forEach(epoch -> ((ObjectNode) epoch).remove("train_seconds"));
        return node;
    }
}

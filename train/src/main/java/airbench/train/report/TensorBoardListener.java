package airbench.train.report;

import airbench.train.EpochRecord;
import airbench.train.RunResult;
import airbench.train.RunStart;
import airbench.train.TrainingListener;
import com.google.protobuf.ByteString;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.Set;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.tensorflow.proto.Event;
import org.tensorflow.proto.HistogramProto;
import org.tensorflow.proto.SessionLog;
import org.tensorflow.proto.Summary;

/**
 * Writes each run's TensorBoard event file (see {@link EventFile} for the format and why it is written
 * directly). An event's step is the number of optimizer steps done, so epoch values sit at the step of
 * their checkpoint:
 * <ul>
 *   <li>every step: {@code train/loss} (the batch's mean label-smoothed loss per image) and
 *       {@code train/lr_multiplier} (the schedule's factor of the step);</li>
 *   <li>every epoch: {@code epoch/train_loss}, {@code epoch/train_accuracy}, {@code epoch/test_accuracy} (when
 *       evaluated; the values of {@code result.json}'s history) and {@code epoch/seconds_per_step} (timed seconds
 *       of the epoch's steps over their number), plus a histogram {@code weights/<variable>} of every kernel,
 *       bias and BatchNorm shift of the network;</li>
 *   <li>once, at step 0: {@code whitening/filters}, the frozen patch-whitening filters as an image;</li>
 *   <li>at the end: {@code test/accuracy_tta_level_L} for every TTA level evaluated.</li>
 * </ul>
 *
 * <p>Resuming: a run restarts from its last checkpoint at step S, but the interrupted session may
 * have written steps after S. The file is cut back to its records of step S or less
 * ({@link EventFile#truncateAfter}) and the run appends to it, so every step is in the file exactly once.
 * A {@code SessionLog START} event at step S + 1, written just before step S + 1's own, also tells a TensorBoard
 * that already read the cut records to drop them (TensorBoard purges a run's events at and after a restart's
 * step). It waits for that step because a run stopped at an epoch's end first writes that epoch's values, at
 * step S, and the file keeps its steps in order.
 */
public final class TensorBoardListener implements TrainingListener {
    private static final Logger LOG = LogManager.getLogger(TensorBoardListener.class);
    static final String WHITENING_TAG = "whitening/filters";
    static final String WHITEN_KERNEL = "whiten/kernel";
    /** Buckets of each weight histogram, equally wide between the smallest and largest value. */
    static final int HISTOGRAM_BUCKETS = 30;
    /** Each whitening filter tap becomes a square of this many pixels. */
    private static final int TAP_PIXELS = 12;

    private final Function<Path, Optional<Path>> eventFolder;
    private RunStart run;
    private EventFile file;
    private int stepsBefore;
    private double secondsBefore;
    /** A continued run's restart marker, until its first step's event is written. */
    private Event restart;

    /**
     * @param eventFolder the folder of a run's event file given the run's folder, empty to write none (the
     *                    {@code train} command's is {@code TrainOptions::tensorboardFolder})
     */
    public TensorBoardListener(Function<Path, Optional<Path>> eventFolder) {
        this.eventFolder = eventFolder;
    }

    @Override
    public void runStarted(RunStart start) {
        run = start;
        file = null;
        restart = null;
        stepsBefore = start.startStep();
        secondsBefore = start.trainSecondsAtStart();
        Optional<Path> folder = eventFolder.apply(start.runDir());
        if (folder.isEmpty()) {
            return;
        }
        try {
            Files.createDirectories(folder.get());
            Optional<Path> existing = existingFile(folder.get());
            Set<String> kept = Set.of();
            if (existing.isPresent()) {
                kept = EventFile.truncateAfter(existing.get(), start.startStep());
                file = EventFile.open(existing.get());
                restart = Event.newBuilder().setWallTime(now()).setStep(start.startStep() + 1L)
                        .setSessionLog(SessionLog.newBuilder().setStatus(SessionLog.SessionStatus.START)).build();
            } else {
                file = EventFile.create(folder.get(), now());
            }
            LOG.info("seed {}: TensorBoard events in {}{}", start.seed(), file.path(),
                    existing.isPresent() ? " (appending after step " + start.startStep() + ")" : "");
            if (!kept.contains(WHITENING_TAG)) {
                writeWhiteningImage();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not prepare the TensorBoard folder " + folder.get() + ": "
                    + e.getMessage(), e);
        }
    }

    @Override
    public void stepEnded(long seed, int step, double lossSum) {
        if (file == null) {
            return;
        }
        if (restart != null) {
            file.append(List.of(restart));
            restart = null;
        }
        file.append(List.of(EventFile.event(now(), step + 1L, List.of(
                scalar("train/loss", lossSum / run.batchSize()),
                scalar("train/lr_multiplier", run.lrMultiplier().applyAsDouble(step))))));
    }

    @Override
    public void epochEnded(long seed, EpochRecord record) {
        if (file == null) {
            return;
        }
        List<Summary.Value> values = new ArrayList<>();
        values.add(scalar("epoch/train_loss", record.trainLoss()));
        values.add(scalar("epoch/train_accuracy", record.trainAccuracy()));
        if (record.testAccuracy() != null) {
            values.add(scalar("epoch/test_accuracy", record.testAccuracy()));
        }
        if (record.steps() > stepsBefore) {
            values.add(scalar("epoch/seconds_per_step",
                    (record.trainSeconds() - secondsBefore) / (record.steps() - stepsBefore)));
        }
        stepsBefore = record.steps();
        secondsBefore = record.trainSeconds();
        List<Summary.Value> histograms = new ArrayList<>();
        run.networkWeights().get().forEach((name, weights) -> {
            if (isLayerWeight(name)) {
                histograms.add(Summary.Value.newBuilder().setTag("weights/" + name).setHisto(histogram(weights)).build());
            }
        });
        double wall = now();
        file.append(List.of(EventFile.event(wall, record.steps(), values),
                EventFile.event(wall, record.steps(), histograms)));
    }

    @Override
    public void runEnded(RunResult result) {
        if (file == null) {
            return;
        }
        List<Summary.Value> values = new ArrayList<>();
        result.accuracyByTtaLevel().forEach((level, accuracy) ->
                values.add(scalar("test/accuracy_tta_level_" + level, accuracy)));
        file.append(List.of(EventFile.event(now(), result.steps(), values)));
        file = null;
        run = null;
    }

    /** Kernels, biases and BatchNorm shifts; not the BatchNorm running statistics. */
    static boolean isLayerWeight(String name) {
        return !name.endsWith("/mean") && !name.endsWith("/variance");
    }

    private void writeWhiteningImage() {
        float[] kernel = run.networkWeights().get().get(WHITEN_KERNEL);
        List<Long> shape = run.shapes().get(WHITEN_KERNEL);
        if (kernel == null || shape == null || shape.size() != 4 || shape.get(2) != 3) {
            LOG.warn("no whitening filters named {} in the network; no filter image", WHITEN_KERNEL);
            return;
        }
        BufferedImage image = filterImage(kernel, shape.get(0).intValue(), shape.get(1).intValue(),
                shape.get(3).intValue());
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        try {
            ImageIO.write(image, "png", png);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Summary.Image summaryImage = Summary.Image.newBuilder().setHeight(image.getHeight())
                .setWidth(image.getWidth()).setColorspace(3).setEncodedImageString(ByteString.copyFrom(png.toByteArray()))
                .build();
        file.append(List.of(EventFile.event(now(), 0, List.of(
                Summary.Value.newBuilder().setTag(WHITENING_TAG).setImage(summaryImage).build()))));
    }

    /**
     * The whitening filters ({@code [kh, kw, 3, filters]}, HWIO) side by side, 8 per row, each tap an RGB
     * square; every filter scaled by its own largest magnitude around mid grey (zero is grey).
     */
    static BufferedImage filterImage(float[] kernel, int kh, int kw, int filters) {
        int perRow = Math.min(8, filters);
        int rows = (filters + perRow - 1) / perRow;
        int gap = 4;
        int cellW = kw * TAP_PIXELS;
        int cellH = kh * TAP_PIXELS;
        BufferedImage image = new BufferedImage(gap + perRow * (cellW + gap), gap + rows * (cellH + gap),
                BufferedImage.TYPE_INT_RGB);
        for (int i = 0; i < image.getWidth(); i++) {
            for (int j = 0; j < image.getHeight(); j++) {
                image.setRGB(i, j, 0xffffff);
            }
        }
        for (int f = 0; f < filters; f++) {
            float max = 1e-12f;
            for (int t = 0; t < kh * kw * 3; t++) {
                max = Math.max(max, Math.abs(kernel[t * filters + f]));
            }
            int x0 = gap + (f % perRow) * (cellW + gap);
            int y0 = gap + (f / perRow) * (cellH + gap);
            for (int h = 0; h < kh; h++) {
                for (int w = 0; w < kw; w++) {
                    int rgb = 0;
                    for (int c = 0; c < 3; c++) {
                        float v = kernel[((h * kw + w) * 3 + c) * filters + f];
                        int level = Math.round(127.5f + 127.5f * v / max);
                        rgb = (rgb << 8) | Math.max(0, Math.min(255, level));
                    }
                    for (int dy = 0; dy < TAP_PIXELS; dy++) {
                        for (int dx = 0; dx < TAP_PIXELS; dx++) {
                            image.setRGB(x0 + w * TAP_PIXELS + dx, y0 + h * TAP_PIXELS + dy, rgb);
                        }
                    }
                }
            }
        }
        return image;
    }

    /**
     * TensorBoard's histogram of {@code values}: {@value #HISTOGRAM_BUCKETS} equal buckets from min to max,
     * {@code bucket_limit} holding each bucket's right edge (TensorBoard takes min as the first left edge).
     */
    static HistogramProto histogram(float[] values) {
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        double sum = 0;
        double squares = 0;
        for (float v : values) {
            min = Math.min(min, v);
            max = Math.max(max, v);
            sum += v;
            squares += (double) v * v;
        }
        double width = (max - min) / HISTOGRAM_BUCKETS;
        double[] counts = new double[HISTOGRAM_BUCKETS];
        for (float v : values) {
            int bucket = width > 0 ? (int) ((v - min) / width) : 0;
            counts[Math.min(HISTOGRAM_BUCKETS - 1, Math.max(0, bucket))]++;
        }
        HistogramProto.Builder histogram = HistogramProto.newBuilder().setMin(min).setMax(max).setNum(values.length)
                .setSum(sum).setSumSquares(squares);
        for (int b = 0; b < HISTOGRAM_BUCKETS; b++) {
            histogram.addBucketLimit(b == HISTOGRAM_BUCKETS - 1 ? max : min + (b + 1) * width);
            histogram.addBucket(counts[b]);
        }
        return histogram.build();
    }

    private static Summary.Value scalar(String tag, double value) {
        return Summary.Value.newBuilder().setTag(tag).setSimpleValue((float) value).build();
    }

    private static double now() {
        return System.currentTimeMillis() / 1000.0;
    }

    /** The folder's event file (the newest by name if there are several). */
    private static Optional<Path> existingFile(Path folder) throws IOException {
        try (Stream<Path> files = Files.list(folder)) {
            return files.filter(p -> p.getFileName().toString().contains(EventFile.NAME_PART) && Files.isRegularFile(p))
                    .max(Comparator.comparing(p -> p.getFileName().toString()));
        }
    }
}

package airbench.tools;

import airbench.data.AugmentSpec;
import airbench.data.Batch;
import airbench.data.CifarDataset;
import airbench.data.CifarVariant;
import airbench.data.FlipMode;
import airbench.data.Normalization;
import airbench.data.TrainingBatches;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The augmentation half of the parity harness: the trainer's batches and an independent PyTorch
 * implementation of docs/METHOD.md section 2 ({@code augment_torch.py}) cannot be compared image by image
 * (different generators), so their statistics are. One decoder reads both sides' batches.
 *
 * <p>Geometry, on coded images: pixel (y, x) of image i holds red = 8y, green = 8x, blue = i mod 256,
 * and its label is i / 256, so every augmented image says which image it is, which source pixel its
 * window starts at (the translation), whether it is mirrored, and where its cutout square lies. Over
 * two epochs: translations and cutout corners must be uniform, every image must appear once per epoch,
 * and with the alternating flip every image must be seen once each way (with random flip about half).
 *
 * <p>Pixels, on the real training images: per-channel mean and variance of the augmented values and
 * the fraction zeroed by cutout, both sides.
 */
public final class AugmentationCheck {
    static final String SCRIPT = "augment_torch.py";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final int SIDE = CifarDataset.HEIGHT;
    private static final int C = CifarDataset.CHANNELS;
    private static final int VALUES = CifarDataset.IMAGE_BYTES;
    /** Coded images: the blue byte and the ten labels tell 2,560 images apart. */
    public static final int MAX_CODED = 2560;
    /** Normal quantile of p = 0.001, for the chi-square critical values. */
    private static final double Z_999 = 3.0902;

    private AugmentationCheck() {}

    /** Images whose pixels encode their own coordinates and identity (see the class comment). */
    public static CifarDataset codedImages(int count) {
        if (count < 1 || count > MAX_CODED) {
            throw new IllegalArgumentException("coded images: 1 to " + MAX_CODED + ", got " + count);
        }
        byte[] images = new byte[count * VALUES];
        int[] labels = new int[count];
        for (int i = 0; i < count; i++) {
            labels[i] = i / 256;
            for (int y = 0; y < SIDE; y++) {
                for (int x = 0; x < SIDE; x++) {
                    int at = i * VALUES + (y * SIDE + x) * C;
                    images[at] = (byte) (8 * y);
                    images[at + 1] = (byte) (8 * x);
                    images[at + 2] = (byte) (i % 256);
                }
            }
        }
        return new CifarDataset(CifarVariant.CIFAR10, "coded", images, labels, new int[0],
                CifarVariant.CIFAR10.wellKnownClassNames());
    }

    /** What one augmented coded image reveals. cutoutTop is -1 without a square; badCutout for any other zero pattern. */
    record Readout(int identity, int rowOffset, int columnOffset, boolean mirrored, int cutoutTop, int cutoutLeft,
                   boolean badCutout) {}

    /** Decodes one augmented coded image (translation at most 4 so that the centre needs no reflection). */
    static Readout decode(float[] images, int slot, int label, int cutout) {
        int base = slot * VALUES;
        int top = SIDE;
        int left = SIDE;
        int bottom = -1;
        int right = -1;
        int zeros = 0;
        int[][] source = new int[SIDE * SIDE][];
        for (int p = 0; p < SIDE * SIDE; p++) {
            int at = base + p * C;
            if (images[at] == 0f && images[at + 1] == 0f && images[at + 2] == 0f) {
                zeros++;
                int y = p / SIDE;
                int x = p % SIDE;
                top = Math.min(top, y);
                bottom = Math.max(bottom, y);
                left = Math.min(left, x);
                right = Math.max(right, x);
            } else {
                source[p] = new int[] {toByte(images[at], 0), toByte(images[at + 1], 1), toByte(images[at + 2], 2)};
            }
        }
        // Two horizontal neighbours in the centre, away from any reflection and from the cutout.
        for (int y = 8; y < 24; y++) {
            for (int x = 8; x < 23; x++) {
                int[] a = source[y * SIDE + x];
                int[] b = source[y * SIDE + x + 1];
                if (a == null || b == null) {
                    continue;
                }
                boolean increasing = b[1] > a[1];
                int rowOffset = a[0] / 8 - y;
                int columnOffset = increasing ? a[1] / 8 - x : (SIDE - 1 - a[1] / 8) - x;
                boolean square = zeros == cutout * cutout && bottom - top + 1 == cutout && right - left + 1 == cutout;
                return new Readout(a[2] + 256 * label, rowOffset, columnOffset, !increasing,
                        zeros == 0 ? -1 : top, zeros == 0 ? -1 : left, zeros > 0 && !square);
            }
        }
        throw new IllegalStateException("image in slot " + slot + " has no two visible neighbouring pixels in its centre");
    }

    /** Nearest byte of a normalized value (robust to the last-bit differences of two normalizations). */
    private static int toByte(float value, int channel) {
        double b = (value * Normalization.STD[channel] + Normalization.MEAN[channel]) * 255;
        return (int) Math.round(b);
    }

    /** Distributions of one side over its epochs. */
    public record Tally(long[] rowOffsets, long[] columnOffsets, long[] cutoutTops, long[] cutoutLefts,
                        long images, long badCutouts, long missingCutouts, long duplicatesOrMissing,
                        long seenBothWaysInEpochs01, long mirroredInEpoch0) {}

    static Tally tally(List<float[]> epochImages, List<int[]> epochLabels, int count, AugmentSpec aug) {
        int t = aug.translate();
        int positions = SIDE - aug.cutout() + 1;
        long[] rows = new long[2 * t + 1];
        long[] cols = new long[2 * t + 1];
        long[] tops = new long[Math.max(positions, 1)];
        long[] lefts = new long[Math.max(positions, 1)];
        long images = 0;
        long bad = 0;
        long missing = 0;
        long duplicatesOrMissing = 0;
        boolean[][] mirroredIn = new boolean[2][count];
        for (int e = 0; e < epochImages.size(); e++) {
            float[] batchImages = epochImages.get(e);
            int[] labels = epochLabels.get(e);
            int[] seen = new int[count];
            for (int slot = 0; slot < labels.length; slot++) {
                Readout r = decode(batchImages, slot, labels[slot], aug.cutout());
                images++;
                rows[r.rowOffset() + t]++;
                cols[r.columnOffset() + t]++;
                seen[r.identity()]++;
                if (e < 2) {
                    mirroredIn[e][r.identity()] = r.mirrored();
                }
                if (aug.cutout() > 0) {
                    if (r.badCutout()) {
                        bad++;
                    } else if (r.cutoutTop() < 0) {
                        missing++;
                    } else {
                        tops[r.cutoutTop()]++;
                        lefts[r.cutoutLeft()]++;
                    }
                }
            }
            for (int s : seen) {
                duplicatesOrMissing += s == 1 ? 0 : 1;
            }
        }
        long bothWays = 0;
        long mirrored0 = 0;
        for (int i = 0; i < count; i++) {
            bothWays += mirroredIn[0][i] != mirroredIn[1][i] ? 1 : 0;
            mirrored0 += mirroredIn[0][i] ? 1 : 0;
        }
        return new Tally(rows, cols, tops, lefts, images, bad, missing, duplicatesOrMissing, bothWays, mirrored0);
    }

    /** Pearson's chi-square of counts against the uniform distribution. */
    static double chiSquareUniform(long[] counts) {
        long total = Arrays.stream(counts).sum();
        double expected = (double) total / counts.length;
        double chi = 0;
        for (long c : counts) {
            chi += (c - expected) * (c - expected) / expected;
        }
        return chi;
    }

    /** Critical value of chi-square with {@code df} degrees of freedom at p = 0.001 (Wilson-Hilferty). */
    static double chiSquareCritical(int df) {
        double a = 2.0 / (9 * df);
        return df * Math.pow(1 - a + Z_999 * Math.sqrt(a), 3);
    }

    /** Per-channel mean and variance and the zeroed fraction of augmented real images. */
    public record PixelStats(double[] mean, double[] variance, double zeroFraction, long values) {}

    static PixelStats pixelStats(List<float[]> epochImages) {
        double[] sum = new double[C];
        double[] squares = new double[C];
        long zeros = 0;
        long n = 0;
        for (float[] images : epochImages) {
            for (int i = 0; i < images.length; i += C) {
                boolean zero = true;
                for (int c = 0; c < C; c++) {
                    double v = images[i + c];
                    sum[c] += v;
                    squares[c] += v * v;
                    zero &= v == 0;
                }
                zeros += zero ? 1 : 0;
                n++;
            }
        }
        double[] mean = new double[C];
        double[] variance = new double[C];
        for (int c = 0; c < C; c++) {
            mean[c] = sum[c] / n;
            variance[c] = squares[c] / n - mean[c] * mean[c];
        }
        return new PixelStats(mean, variance, (double) zeros / n, n);
    }

    /** The trainer's augmented batches of {@code epochs} epochs, one array per epoch (in batch order). */
    static List<float[]> javaEpochs(TrainingBatches batches, int epochs, List<int[]> labelsOut) {
        List<float[]> out = new ArrayList<>();
        int steps = batches.stepsPerEpoch();
        int b = batches.batchSize();
        for (int e = 0; e < epochs; e++) {
            float[] images = new float[steps * b * VALUES];
            int[] labels = new int[steps * b];
            for (int s = 0; s < steps; s++) {
                Batch batch = batches.batch(e, s);
                System.arraycopy(batch.images(), 0, images, s * b * VALUES, b * VALUES);
                System.arraycopy(batch.labels(), 0, labels, s * b, b);
            }
            out.add(images);
            labelsOut.add(labels);
        }
        return out;
    }

    /** Writes a source set for the PyTorch side, runs it, and reads its batches back per epoch. */
    static PythonScript.Outcome torchEpochs(CifarDataset source, AugmentSpec aug, int batch, int epochs, long seed,
                                            Path folder, List<String> pythons, int threads, List<float[]> imagesOut,
                                            List<int[]> labelsOut) throws IOException {
        Files.createDirectories(folder);
        Files.write(folder.resolve("source.u8"), source.images());
        Parity.writeInts(folder.resolve("source-labels.i32"), source.labels());
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("images", source.size());
        c.put("batch_size", batch);
        c.put("epochs", epochs);
        c.put("translate", aug.translate());
        c.put("cutout", aug.cutout());
        c.put("flip", aug.flip().name().toLowerCase(Locale.ROOT));
        c.put("seed", seed);
        c.put("mean", Normalization.MEAN);
        c.put("std", Normalization.STD);
        JSON.writeValue(folder.resolve("augment-case.json").toFile(), c);
        PythonScript.Outcome outcome = PythonScript.run(SCRIPT, List.of("--folder", folder.toAbsolutePath().toString(),
                "--threads", String.valueOf(threads)), pythons, "torch-augment");
        if (!outcome.succeeded()) {
            return outcome;
        }
        float[] all = Parity.readFloats(folder.resolve("torch-batches.f32"));
        int[] labels = Parity.readInts(folder.resolve("torch-labels.i32"));
        int perEpoch = source.size() / batch * batch;
        for (int e = 0; e < epochs; e++) {
            imagesOut.add(Arrays.copyOfRange(all, e * perEpoch * VALUES, (e + 1) * perEpoch * VALUES));
            labelsOut.add(Arrays.copyOfRange(labels, e * perEpoch, (e + 1) * perEpoch));
        }
        Files.delete(folder.resolve("torch-batches.f32"));
        Files.delete(folder.resolve("source.u8"));
        return outcome;
    }

    /** Both sides' tallies and pixel statistics. */
    public record Report(AugmentSpec augment, int codedImages, int epochs, Tally java, Tally torch,
                         PixelStats javaPixels, PixelStats torchPixels, int realImages, List<String> problems) {}

    /**
     * Runs the check: coded images through both sides' augmentation for two epochs, and the first
     * {@code realImages} of {@code realTrain} likewise.
     */
    public static Report run(AugmentSpec aug, long seed, CifarDataset realTrain, int realImages, Path folder,
                             List<String> pythons, int threads) throws IOException {
        if (aug.translate() > 4) {
            throw new IllegalArgumentException("the coded-image decoder reads translations up to 4 pixels, got "
                    + aug.translate());
        }
        int epochs = 2;
        int coded = MAX_CODED;
        int batch = 512;  // 2,560 = 5 x 512: every image in every epoch
        CifarDataset codedSet = codedImages(coded);
        List<int[]> javaLabels = new ArrayList<>();
        List<float[]> javaImages = javaEpochs(new TrainingBatches(codedSet, aug, batch, seed), epochs, javaLabels);
        List<int[]> torchLabels = new ArrayList<>();
        List<float[]> torchImages = new ArrayList<>();
        PythonScript.Outcome outcome = torchEpochs(codedSet, aug, batch, epochs, seed, folder.resolve("coded"),
                pythons, threads, torchImages, torchLabels);
        if (!outcome.installed()) {
            throw new IllegalStateException("PyTorch " + outcome.notInstalledMessage());
        }
        if (!outcome.succeeded()) {
            throw new IllegalStateException("the PyTorch augmentation (" + outcome.python() + ") exited with "
                    + outcome.exitCode() + "; its output is in the log above");
        }
        Tally java = tally(javaImages, javaLabels, coded, aug);
        Tally torch = tally(torchImages, torchLabels, coded, aug);

        CifarDataset real = realTrain.first(Math.min(realImages, realTrain.size()));
        int realBatch = Math.min(1024, real.size());
        PixelStats javaPixels = pixelStats(javaEpochs(new TrainingBatches(real, aug, realBatch, seed), epochs,
                new ArrayList<>()));
        List<float[]> torchReal = new ArrayList<>();
        outcome = torchEpochs(real, aug, realBatch, epochs, seed, folder.resolve("real"), pythons, threads, torchReal,
                new ArrayList<>());
        if (!outcome.succeeded()) {
            throw new IllegalStateException("the PyTorch augmentation of the real images failed (exit "
                    + outcome.exitCode() + ")");
        }
        PixelStats torchPixels = pixelStats(torchReal);
        Report report = new Report(aug, coded, epochs, java, torch, javaPixels, torchPixels, real.size(),
                problems(aug, coded, java, torch));
        JSON.writeValue(folder.resolve("augmentation.json").toFile(), report);
        return report;
    }

    /** What is wrong with either side: an exact rule broken, or a distribution far from uniform (p < 0.001). */
    static List<String> problems(AugmentSpec aug, int count, Tally java, Tally torch) {
        List<String> problems = new ArrayList<>();
        Map<String, Tally> sides = new LinkedHashMap<>();
        sides.put("java", java);
        sides.put("torch", torch);
        sides.forEach((side, t) -> {
            if (t.duplicatesOrMissing() > 0) {
                problems.add(side + ": " + t.duplicatesOrMissing() + " images not seen exactly once in an epoch");
            }
            if (t.badCutouts() > 0 || t.missingCutouts() > 0) {
                problems.add(side + ": " + t.badCutouts() + " cutouts not a " + aug.cutout() + "-pixel square, "
                        + t.missingCutouts() + " missing");
            }
            if (aug.flip() == FlipMode.ALTERNATING && t.seenBothWaysInEpochs01() != count) {
                problems.add(side + ": alternating flip showed " + t.seenBothWaysInEpochs01() + " of " + count
                        + " images both ways over epochs 0 and 1");
            }
            Map<String, long[]> histograms = new LinkedHashMap<>();
            if (aug.translate() > 0) {
                histograms.put("row translation", t.rowOffsets());
                histograms.put("column translation", t.columnOffsets());
            }
            if (aug.cutout() > 0) {
                histograms.put("cutout top", t.cutoutTops());
                histograms.put("cutout left", t.cutoutLefts());
            }
            histograms.forEach((what, counts) -> {
                double chi = chiSquareUniform(counts);
                double critical = chiSquareCritical(counts.length - 1);
                if (chi > critical) {
                    problems.add(String.format(Locale.ROOT, "%s: %s not uniform: chi-square %.1f > %.1f (p < 0.001)",
                            side, what, chi, critical));
                }
            });
        });
        return problems;
    }

    /** The report as a table. */
    public static String table(Report r) {
        StringBuilder s = new StringBuilder();
        AugmentSpec a = r.augment();
        s.append(String.format(Locale.ROOT, "augmentation: translate %d, cutout %d, flip %s; %d coded images x %d"
                + " epochs per side%n", a.translate(), a.cutout(), a.flip().name().toLowerCase(Locale.ROOT),
                r.codedImages(), r.epochs()));
        s.append(String.format(Locale.ROOT, "%-22s %-40s %-40s%n", "", "java", "torch"));
        row(s, "row translation", r.java().rowOffsets(), r.torch().rowOffsets());
        row(s, "column translation", r.java().columnOffsets(), r.torch().columnOffsets());
        if (a.cutout() > 0) {
            row(s, "cutout top", r.java().cutoutTops(), r.torch().cutoutTops());
            row(s, "cutout left", r.java().cutoutLefts(), r.torch().cutoutLefts());
        }
        s.append(String.format(Locale.ROOT, "%-22s %-40s %-40s%n", "seen both ways (e0,e1)",
                r.java().seenBothWaysInEpochs01() + " / " + r.codedImages(),
                r.torch().seenBothWaysInEpochs01() + " / " + r.codedImages()));
        s.append(String.format(Locale.ROOT, "%-22s %-40s %-40s%n", "mirrored in epoch 0",
                r.java().mirroredInEpoch0() + " / " + r.codedImages(), r.torch().mirroredInEpoch0() + " / " + r.codedImages()));
        s.append(String.format(Locale.ROOT, "real images (%d x %d epochs): channel means, variances, zeroed fraction%n",
                r.realImages(), r.epochs()));
        s.append(String.format(Locale.ROOT, "  java  %s %s %.5f%n", fmt(r.javaPixels().mean()),
                fmt(r.javaPixels().variance()), r.javaPixels().zeroFraction()));
        s.append(String.format(Locale.ROOT, "  torch %s %s %.5f%n", fmt(r.torchPixels().mean()),
                fmt(r.torchPixels().variance()), r.torchPixels().zeroFraction()));
        s.append(r.problems().isEmpty() ? "verdict: both sides follow docs/METHOD.md section 2 (exact rules hold; every"
                + " distribution uniform at p = 0.001)" : "problems: " + String.join("; ", r.problems()));
        return s.append(System.lineSeparator()).toString();
    }

    private static void row(StringBuilder s, String what, long[] java, long[] torch) {
        s.append(String.format(Locale.ROOT, "%-22s chi2 %-6.1f (crit %.1f)%s%n", what, chiSquareUniform(java),
                chiSquareCritical(java.length - 1), String.format(Locale.ROOT, "   torch chi2 %.1f", chiSquareUniform(torch))));
        s.append(String.format(Locale.ROOT, "%-22s %s%n%-22s %s%n", "  java", Arrays.toString(java), "  torch",
                Arrays.toString(torch)));
    }

    private static String fmt(double[] values) {
        StringBuilder s = new StringBuilder("[");
        for (int i = 0; i < values.length; i++) {
            s.append(i == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.5f", values[i]));
        }
        return s.append("]").toString();
    }
}

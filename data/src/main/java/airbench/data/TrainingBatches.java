package airbench.data;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The training batches of docs/METHOD.md section 2, by random access:
 * {@link #batch(int, int)} returns batch {@code index} of epoch {@code epoch}.
 *
 * <p>Once, in the constructor: normalize, pre-flip each image with probability
 * 1/2 (ALTERNATING only), reflect-pad by {@code translate}. Every epoch: a
 * random translation per image, the alternating (or random) flip, CutMix (from
 * its first epoch on, hlb-CIFAR10's, docs/METHOD.md section 13), cutout, a
 * fresh permutation, batches in order with the last incomplete one dropped.
 *
 * <p>CutMix pairs image i with image partner[i] of a fresh permutation of the whole
 * training set (a fixed point pairs an image with itself) and copies the partner's
 * pixels, as translated and flipped in the same epoch, into a square placed
 * uniformly inside image i; the batch then carries the mixed targets
 * ({@link Batch#targets}). Its draws come after the epoch's other draws, so the
 * translations, flips and order of an epoch are the same with and without it.
 *
 * <p>Colour jitter (the hiverge record, docs/METHOD.md section 14) draws a brightness shift b
 * and a contrast factor c per image per epoch, after every other draw of the epoch (so,
 * again, the rest of the epoch stays as without it), and maps every value of the
 * normalized, translated and flipped image (its CutMix square included) to
 * {@code (x + b) * c} in float, before cutout zeros its square.
 *
 * <p>Resumable by construction: every random draw of epoch {@code e} comes from
 * a generator seeded by a hash of (seed, e), and the pre-flip from one seeded by
 * (seed, a fixed stream), so an epoch's batches do not depend on which epochs
 * were generated before in this process.
 *
 * <p>Memory: the padded images are kept as uint8 (50,000 x 36 x 36 x 3 = 194 MB
 * instead of 778 MB as float) and normalized while each batch window is copied,
 * through a 3 x 256 table computed with the dataset's {@link Normalization}. Normalization is
 * per pixel and per channel, so doing it after the (pixel-moving) flip, pad and
 * crop gives bit for bit the floats of normalizing first; a test checks this
 * against the literal order. Cutout zeros the normalized values, as the method says.
 *
 * <p>Thread-safe: batches may be built on a prefetch thread.
 */
public final class TrainingBatches implements BatchSource {
    private static final int H = CifarDataset.HEIGHT;
    private static final int W = CifarDataset.WIDTH;
    private static final int C = CifarDataset.CHANNELS;
    private static final long PRE_FLIP_STREAM = 1;
    private static final long EPOCH_STREAM = 2;

    private final int size;
    private final int batchSize;
    private final AugmentSpec aug;
    private final long seed;
    private final int paddedSide;
    /** uint8 NHWC [n, 32 + 2t, 32 + 2t, 3], pre-flipped and reflect-padded. */
    private final byte[] padded;
    private final boolean[] preFlipped;
    private final int[] labels;
    private final int numClasses;
    /** Normalized value of byte b in channel c at [c * 256 + b]. */
    private final float[] normalized;
    /** The plan of the epoch asked for last; consecutive batches share it. */
    private volatile EpochPlan lastPlan;

    /**
     * @param train     the training split (not modified)
     * @param batchSize images per batch; at most the training set's size
     * @param seed      seed of every random choice of the run
     */
    public TrainingBatches(CifarDataset train, AugmentSpec aug, int batchSize, long seed) {
        if (batchSize < 1 || batchSize > train.size()) {
            throw new IllegalArgumentException("batch size must be in [1, " + train.size()
                    + "] (the training set's size), got " + batchSize);
        }
        this.size = train.size();
        this.batchSize = batchSize;
        this.aug = aug;
        this.seed = seed;
        this.labels = train.labels().clone();
        this.numClasses = train.numClasses();
        this.normalized = normalizationTable(train.dataset().normalization());
        this.preFlipped = preFlips(size, aug.flip(), seed);
        this.paddedSide = H + 2 * aug.translate();
        this.padded = padAll(train.images(), preFlipped, aug.translate());
    }

    /** Full batches per epoch; the last incomplete batch is dropped. */
    @Override
    public int stepsPerEpoch() {
        return size / batchSize;
    }

    public int batchSize() {
        return batchSize;
    }

    public AugmentSpec augment() {
        return aug;
    }

    /** Batch {@code index} of epoch {@code epoch}; a pure function of (seed, epoch, index). */
    @Override
    public Batch batch(int epoch, int index) {
        if (index < 0 || index >= stepsPerEpoch()) {
            throw new IndexOutOfBoundsException("batch index " + index + " outside 0.." + (stepsPerEpoch() - 1));
        }
        EpochPlan plan = plan(epoch);
        float[] images = new float[batchSize * CifarDataset.IMAGE_BYTES];
        int[] batchLabels = new int[batchSize];
        for (int j = 0; j < batchSize; j++) {
            copyAugmented(plan, index * batchSize + j, images, batchLabels, j);
        }
        return new Batch(epoch, index, images, batchLabels, aug.cutmix() > 0 ? targets(plan, index) : null);
    }

    /**
     * The targets of batch {@code index} of the plan's epoch, [B, classes]: each image's one-hot, and in a
     * CutMix epoch {@code (1 - a) own + a partner's} with a the share of pixels taken from the partner
     * (9 / 1024 for a 3x3 square, exact in float, as both weights are).
     */
    private float[] targets(EpochPlan plan, int index) {
        float[] targets = new float[batchSize * numClasses];
        float share = aug.cutmixShare();
        for (int j = 0; j < batchSize; j++) {
            int image = plan.order[index * batchSize + j];
            if (plan.partner == null) {
                targets[j * numClasses + labels[image]] = 1f;
            } else {
                targets[j * numClasses + labels[image]] += 1f - share;
                targets[j * numClasses + labels[plan.partner[image]]] += share;
            }
        }
        return targets;
    }

    /**
     * The image at {@code position} of the plan's order, augmented as the plan says (translation,
     * flip, cutout), into slot {@code slot} of {@code images}, and its label into {@code labels[slot]}.
     * Shared with {@link StraddlingBatches}, which cuts the same passes into batches differently.
     */
    void copyAugmented(EpochPlan plan, int position, float[] images, int[] labels, int slot) {
        int image = plan.order[position];
        labels[slot] = this.labels[image];
        copyWindow(image, plan.dy[image], plan.dx[image], plan.flip[image], images, slot);
        if (plan.partner != null) {
            copySquare(plan, plan.partner[image], plan.mixTop[image], plan.mixLeft[image], images, slot);
        }
        if (plan.brightness != null) {
            jitter(images, slot, plan.brightness[image], plan.contrast[image]);
        }
        if (aug.cutout() > 0) {
            zeroSquare(images, slot, plan.cutoutTop[image], plan.cutoutLeft[image], aug.cutout());
        }
    }

    /** Training images in one pass. */
    int size() {
        return size;
    }

    /**
     * Copies the 32x32 window of padded image {@code image} offset by (dy, dx) from
     * the centre into slot {@code slot} of {@code out}, mirrored if asked, normalizing
     * on the way.
     */
    private void copyWindow(int image, int dy, int dx, boolean mirror, float[] out, int slot) {
        int t = aug.translate();
        int rowBytes = paddedSide * C;
        int source = ((image * paddedSide + t + dy) * paddedSide + t + dx) * C;
        int target = slot * CifarDataset.IMAGE_BYTES;
        for (int y = 0; y < H; y++, source += rowBytes) {
            for (int x = 0; x < W; x++) {
                int from = source + (mirror ? W - 1 - x : x) * C;
                for (int c = 0; c < C; c++) {
                    out[target++] = normalized[c * 256 + (padded[from + c] & 0xFF)];
                }
            }
        }
    }

    /**
     * CutMix: the {@code cutmix x cutmix} square at ({@code top}, {@code left}) of slot {@code slot} takes the
     * pixels of image {@code partner} as the plan translates and flips it (the same square of its own window).
     */
    private void copySquare(EpochPlan plan, int partner, int top, int left, float[] out, int slot) {
        int t = aug.translate();
        int side = aug.cutmix();
        boolean mirror = plan.flip[partner];
        for (int y = top; y < top + side; y++) {
            int row = ((partner * paddedSide + t + plan.dy[partner] + y) * paddedSide + t + plan.dx[partner]) * C;
            int target = slot * CifarDataset.IMAGE_BYTES + (y * W + left) * C;
            for (int x = left; x < left + side; x++) {
                int from = row + (mirror ? W - 1 - x : x) * C;
                for (int c = 0; c < C; c++) {
                    out[target++] = normalized[c * 256 + (padded[from + c] & 0xFF)];
                }
            }
        }
    }

    /** Colour jitter of one image: {@code x = (x + b) * c} for every value of slot {@code slot}. */
    private static void jitter(float[] out, int slot, float b, float c) {
        int start = slot * CifarDataset.IMAGE_BYTES;
        for (int k = start; k < start + CifarDataset.IMAGE_BYTES; k++) {
            out[k] = (out[k] + b) * c;
        }
    }

    private static void zeroSquare(float[] out, int slot, int top, int left, int side) {
        for (int y = top; y < top + side; y++) {
            int start = slot * CifarDataset.IMAGE_BYTES + (y * W + left) * C;
            Arrays.fill(out, start, start + side * C, 0f);
        }
    }

    /** The random choices of one epoch, computed once per epoch (about a millisecond for 50,000 images). */
    EpochPlan plan(int epoch) {
        if (epoch < 0) {
            throw new IllegalArgumentException("epoch must be >= 0, got " + epoch);
        }
        EpochPlan plan = lastPlan;
        if (plan == null || plan.epoch != epoch) {
            plan = new EpochPlan(epoch, size, aug, new SplittableRandom(streamSeed(seed, EPOCH_STREAM, epoch)));
            lastPlan = plan;
        }
        return plan;
    }

    /** Whether image {@code i} was mirrored once before training (ALTERNATING only). */
    boolean preFlipped(int i) {
        return preFlipped[i];
    }

    /**
     * Per-image draws of one epoch, indexed by training-set image, and the order
     * of the images in the epoch. Immutable after construction.
     */
    static final class EpochPlan {
        final int epoch;
        final int[] order;
        final byte[] dy;
        final byte[] dx;
        final boolean[] flip;
        final byte[] cutoutTop;
        final byte[] cutoutLeft;
        /** CutMix's partner of every image and the top-left corner of its square; null in an epoch without it. */
        final int[] partner;
        final byte[] mixTop;
        final byte[] mixLeft;
        /** Colour jitter's shift and factor of every image; null without jitter. */
        final float[] brightness;
        final float[] contrast;

        EpochPlan(int epoch, int size, AugmentSpec aug, SplittableRandom random) {
            this.epoch = epoch;
            int t = aug.translate();
            // 2t + 1 shifts -t..t, or hlb's 2t: offsets 0..2t-1 into the padded image, shifts -t..t-1.
            int shifts = aug.translateOffByOne() ? 2 * t : 2 * t + 1;
            int cutoutPositions = CifarDataset.HEIGHT - aug.cutout() + 1;
            dy = new byte[size];
            dx = new byte[size];
            flip = new boolean[size];
            cutoutTop = new byte[size];
            cutoutLeft = new byte[size];
            // A fixed order of draws, image by image, keeps the plan a pure function of the generator's seed.
            for (int i = 0; i < size; i++) {
                dy[i] = (byte) (random.nextInt(shifts) - t);
                dx[i] = (byte) (random.nextInt(shifts) - t);
                flip[i] = switch (aug.flip()) {
                    case ALTERNATING -> epoch % 2 == 1;
                    case RANDOM -> random.nextBoolean();
                    case NONE -> false;
                };
                if (aug.cutout() > 0) {
                    cutoutTop[i] = (byte) random.nextInt(cutoutPositions);
                    cutoutLeft[i] = (byte) random.nextInt(cutoutPositions);
                }
            }
            order = permutation(size, random);
            if (aug.cutmixIn(epoch)) {
                // Drawn after everything above, which therefore stays as without CutMix.
                partner = permutation(size, random);
                int positions = CifarDataset.HEIGHT - aug.cutmix() + 1;
                mixTop = new byte[size];
                mixLeft = new byte[size];
                for (int i = 0; i < size; i++) {
                    mixTop[i] = (byte) random.nextInt(positions);
                    mixLeft[i] = (byte) random.nextInt(positions);
                }
            } else {
                partner = null;
                mixTop = null;
                mixLeft = null;
            }
            if (aug.colourJitter()) {
                // Drawn last, so that every draw above stays as without the jitter.
                brightness = new float[size];
                contrast = new float[size];
                for (int i = 0; i < size; i++) {
                    brightness[i] = (float) ((random.nextDouble() * 2 - 1) * aug.brightness());
                    contrast[i] = (float) (1 + (random.nextDouble() * 2 - 1) * aug.contrast());
                }
            } else {
                brightness = null;
                contrast = null;
            }
        }

        /** A uniformly random permutation of 0..size-1 (Fisher-Yates). */
        private static int[] permutation(int size, SplittableRandom random) {
            int[] p = new int[size];
            for (int i = 0; i < size; i++) {
                p[i] = i;
            }
            for (int i = size - 1; i > 0; i--) {
                int k = random.nextInt(i + 1);
                int swap = p[i];
                p[i] = p[k];
                p[k] = swap;
            }
            return p;
        }
    }

    private static boolean[] preFlips(int size, FlipMode mode, long seed) {
        boolean[] flips = new boolean[size];
        if (mode == FlipMode.ALTERNATING) {
            SplittableRandom random = new SplittableRandom(streamSeed(seed, PRE_FLIP_STREAM, 0));
            for (int i = 0; i < size; i++) {
                flips[i] = random.nextBoolean();
            }
        }
        return flips;
    }

    /** Pre-flips and reflect-pads every image, keeping uint8 (see the class comment). */
    private static byte[] padAll(byte[] images, boolean[] preFlipped, int pad) {
        int side = H + 2 * pad;
        // Source row and column of every padded coordinate, in ImageOps' definition of REFLECT.
        int[] sourceRow = new int[side];
        int[] sourceColumn = new int[side];
        int[] mirroredColumn = new int[side];
        for (int p = 0; p < side; p++) {
            sourceRow[p] = ImageOps.reflect(p - pad, H);
            sourceColumn[p] = ImageOps.reflect(p - pad, W);
            mirroredColumn[p] = W - 1 - sourceColumn[p];
        }
        byte[] out = new byte[Math.multiplyExact(preFlipped.length, side * side * C)];
        int target = 0;
        for (int i = 0; i < preFlipped.length; i++) {
            int[] columns = preFlipped[i] ? mirroredColumn : sourceColumn;
            for (int py = 0; py < side; py++) {
                int row = (i * H + sourceRow[py]) * W;
                for (int px = 0; px < side; px++) {
                    int from = (row + columns[px]) * C;
                    out[target++] = images[from];
                    out[target++] = images[from + 1];
                    out[target++] = images[from + 2];
                }
            }
        }
        return out;
    }

    /**
     * The dataset's normalization (docs/METHOD.md section 1; CIFAR-100 has its own constants) of every byte
     * value per channel, computed by {@link Normalization} itself so that the table and it cannot differ.
     */
    private static float[] normalizationTable(Normalization normalization) {
        byte[] values = new byte[256 * C];
        for (int b = 0; b < 256; b++) {
            for (int c = 0; c < C; c++) {
                values[b * C + c] = (byte) b;
            }
        }
        float[] interleaved = normalization.apply(values);
        float[] table = new float[C * 256];
        for (int b = 0; b < 256; b++) {
            for (int c = 0; c < C; c++) {
                table[c * 256 + b] = interleaved[b * C + c];
            }
        }
        return table;
    }

    /**
     * Seed of the generator for one (seed, stream, epoch): the MurmurHash3 finalizer
     * applied in a chain. Nearby seeds must not give related streams, which a plain
     * sum would do for SplittableRandom (its own sequence is seed + k * gamma).
     */
    static long streamSeed(long seed, long stream, long epoch) {
        long h = mix64(seed + 0x9E3779B97F4A7C15L);
        h = mix64(h ^ (stream * 0xBF58476D1CE4E5B9L + 0x94D049BB133111EBL));
        return mix64(h ^ ((epoch + 1) * 0x9E3779B97F4A7C15L));
    }

    private static long mix64(long z) {
        z = (z ^ (z >>> 33)) * 0xFF51AFD7ED558CCDL;
        z = (z ^ (z >>> 33)) * 0xC4CEB9FE1A85EC53L;
        return z ^ (z >>> 33);
    }
}

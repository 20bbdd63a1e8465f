package airbench.eval;

import airbench.data.ImageOps;

/**
 * Multi-view test-time augmentation (docs/METHOD.md section 7).
 * <ul>
 * <li>level 0: f(x);</li>
 * <li>level 1 (mirror): 0.5 f(x) + 0.5 f(mirror x);</li>
 * <li>level 2 (mirror + translate): 0.5 level1(x) + 0.25 level1(up-left) + 0.25 level1(down-right),
 * the shifted windows being {@code padded[0:32, 0:32]} and {@code padded[2:34, 2:34]} of the image
 * padded by 1 pixel with REFLECT padding. Six views: the two unshifted ones weigh 0.25, the four
 * shifted ones 0.125.</li>
 * </ul>
 * Mirroring and padding come from {@link ImageOps} so that evaluation and training augmentation
 * share one definition of both.
 */
public final class TestTimeAugmentation {
    /** The highest level; valid levels are 0 to this. */
    public static final int MAX_LEVEL = 2;
    private static final int SIZE = 32;
    private static final int CHANNELS = 3;
    private static final int IMAGE_VALUES = SIZE * SIZE * CHANNELS;

    private TestTimeAugmentation() {}

    /**
     * Combined logits of {@code count} images at {@code level}.
     *
     * @param images normalized float NHWC [count, 32, 32, 3]
     * @return [count, classes] row-major
     */
    public static float[] logits(LogitsFunction model, float[] images, int count, int level) {
        return logitsUpToLevel(model, images, count, level)[level];
    }

    /**
     * Combined logits of every level from 0 to {@code maxLevel} (element {@code l} is level l), sharing
     * the forward passes: level 2's six views include the one of level 0 and the two of level 1, so
     * asking for all three levels costs no more model calls than asking for level 2 alone.
     */
    public static float[][] logitsUpToLevel(LogitsFunction model, float[] images, int count, int maxLevel) {
        checkLevel(maxLevel);
        if (count < 1) {
            throw new IllegalArgumentException("test-time augmentation needs at least one image, got " + count);
        }
        if (images.length != (long) count * IMAGE_VALUES) {
            throw new IllegalArgumentException(count + " images of 32x32x3 need " + (long) count * IMAGE_VALUES
                    + " values, got " + images.length);
        }
        float[][] levels = new float[maxLevel + 1][];
        float[] plain = checkedLogits(model, images, count, -1);
        levels[0] = plain;
        if (maxLevel == 0) {
            return levels;
        }
        float[] mirrorPair = mirrorPair(model, images, count, plain);
        levels[1] = mirrorPair;
        if (maxLevel == 1) {
            return levels;
        }
        float[] padded = ImageOps.reflectPad(images, count, SIZE, SIZE, CHANNELS, 1);
        float[] upLeft = ImageOps.crop(padded, count, SIZE + 2, SIZE + 2, CHANNELS, 0, 0, SIZE, SIZE);
        float[] downRight = ImageOps.crop(padded, count, SIZE + 2, SIZE + 2, CHANNELS, 2, 2, SIZE, SIZE);
        float[] upLeftPair = mirrorPair(model, upLeft, count, null);
        float[] downRightPair = mirrorPair(model, downRight, count, null);
        float[] combined = new float[mirrorPair.length];
        for (int i = 0; i < combined.length; i++) {
            combined[i] = 0.5f * mirrorPair[i] + 0.25f * upLeftPair[i] + 0.25f * downRightPair[i];
        }
        levels[2] = combined;
        return levels;
    }

    /** 0.5 f(x) + 0.5 f(mirror x), reusing f(x) when the caller already has it. */
    private static float[] mirrorPair(LogitsFunction model, float[] images, int count, float[] plain) {
        float[] direct = plain != null ? plain : checkedLogits(model, images, count, -1);
        float[] mirrored = checkedLogits(model, ImageOps.mirror(images, count, SIZE, SIZE, CHANNELS), count,
                direct.length);
        float[] out = new float[direct.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = 0.5f * direct[i] + 0.5f * mirrored[i];
        }
        return out;
    }

    /** The model's logits, refused unless they hold a whole row per image (and as many as the other views). */
    private static float[] checkedLogits(LogitsFunction model, float[] images, int count, int expectedLength) {
        float[] logits = model.logits(images, count);
        if (logits == null || logits.length == 0 || logits.length % count != 0
                || (expectedLength >= 0 && logits.length != expectedLength)) {
            throw new IllegalStateException("the model returned " + (logits == null ? "null" : logits.length
                    + " logits") + " for " + count + " images"
                    + (expectedLength >= 0 ? "; the other views had " + expectedLength : ""));
        }
        return logits;
    }

    /** Throws unless {@code level} is 0, 1 or 2. */
    public static void checkLevel(int level) {
        if (level < 0 || level > MAX_LEVEL) {
            throw new IllegalArgumentException("TTA level " + level + " does not exist; valid levels: 0, 1, 2");
        }
    }
}

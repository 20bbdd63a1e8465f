package airbench.eval;

import airbench.data.ImageOps;

/**
 * Multi-view test-time augmentation (METHOD.md section 7).
 * <ul>
 * <li>level 0: f(x);</li>
 * <li>level 1 (mirror): 0.5 f(x) + 0.5 f(mirror x);</li>
 * <li>level 2 (mirror + translate): 0.5 level1(x) + 0.25 level1(up-left) + 0.25 level1(down-right),
 * the shifted windows cut from the image padded by 1 pixel with REFLECT padding. Six views:
 * the two unshifted ones weigh 0.25, the four shifted ones 0.125.</li>
 * </ul>
 */
public final class TestTimeAugmentation {
    public static final int MAX_LEVEL = 2;
    private static final int SIZE = 32;
    private static final int CHANNELS = 3;

    private TestTimeAugmentation() {}

    /** Combined logits at {@code level}. */
    public static float[] logits(LogitsFunction model, float[] images, int count, int level) {
        return allLevels(model, images, count, level)[level];
    }

    /**
     * Combined logits of every level from 0 to {@code maxLevel}, sharing the forward passes:
     * level 2's six views contain those of levels 0 and 1.
     */
    public static float[][] allLevels(LogitsFunction model, float[] images, int count, int maxLevel) {
        checkLevel(maxLevel);
        float[][] levels = new float[maxLevel + 1][];
        float[] plain = model.logits(images, count);
        levels[0] = plain;
        if (maxLevel == 0) {
            return levels;
        }
        float[] mirror = mirrorPair(model, images, count, plain);
        levels[1] = mirror;
        if (maxLevel == 1) {
            return levels;
        }
        float[] padded = ImageOps.reflectPad(images, count, SIZE, SIZE, CHANNELS, 1);
        float[] upLeft = ImageOps.crop(padded, count, SIZE + 2, SIZE + 2, CHANNELS, 0, 0, SIZE, SIZE);
        float[] downRight = ImageOps.crop(padded, count, SIZE + 2, SIZE + 2, CHANNELS, 2, 2, SIZE, SIZE);
        float[] a = mirrorPair(model, upLeft, count, null);
        float[] b = mirrorPair(model, downRight, count, null);
        float[] combined = new float[mirror.length];
        for (int i = 0; i < combined.length; i++) {
            combined[i] = 0.5f * mirror[i] + 0.25f * a[i] + 0.25f * b[i];
        }
        levels[2] = combined;
        return levels;
    }

    /** 0.5 f(x) + 0.5 f(mirror x), reusing f(x) when already computed. */
    private static float[] mirrorPair(LogitsFunction model, float[] images, int count, float[] plain) {
        float[] direct = plain != null ? plain : model.logits(images, count);
        float[] flipped = model.logits(ImageOps.mirror(images, count, SIZE, SIZE, CHANNELS), count);
        float[] out = new float[direct.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = 0.5f * direct[i] + 0.5f * flipped[i];
        }
        return out;
    }

    static void checkLevel(int level) {
        if (level < 0 || level > MAX_LEVEL) {
            throw new IllegalArgumentException("TTA level " + level + " does not exist; valid levels: 0, 1, 2");
        }
    }
}

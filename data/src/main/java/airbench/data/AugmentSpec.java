package airbench.data;

import java.util.Objects;

/**
 * The training-set augmentation of docs/METHOD.md section 2, and the two pieces hlb-CIFAR10 adds (section 13).
 *
 * @param translate         maximum random translation in pixels, each direction (images are reflect-padded by this
 *                          much); 0..15
 * @param cutout            side in pixels of the zeroed square, 0 for no cutout; 0..32
 * @param flip              how images are mirrored
 * @param translateOffByOne shifts drawn uniformly from {@code -translate .. translate - 1} px instead of
 *                          {@code -translate .. +translate}: hlb-CIFAR10's published crop, whose offsets into the
 *                          padded image run over {@code 0 .. 2 translate - 1} (so +translate never occurs)
 * @param cutmix            side in pixels of the CutMix square, 0 for no CutMix; 0..32. From epoch
 *                          {@code cutmixFromEpoch} on, every image gets a partner from a fresh permutation of the
 *                          whole training set, a square placed uniformly inside the image takes the partner's
 *                          (translated and flipped) pixels, and the image's target becomes
 *                          {@code (1 - a) own one-hot + a partner's one-hot} with a = cutmix^2 / 1024, the share of
 *                          pixels taken ({@link Batch#targets})
 * @param cutmixFromEpoch   first epoch (0-based pass over the data) with CutMix
 */
public record AugmentSpec(int translate, int cutout, FlipMode flip, boolean translateOffByOne, int cutmix,
                          int cutmixFromEpoch) {
    /** Reflect padding needs a pad smaller than the image, so at most 31; 15 keeps the window mostly inside. */
    public static final int MAX_TRANSLATE = 15;

    /** airbench's augmentation: symmetric translation, no CutMix. */
    public AugmentSpec(int translate, int cutout, FlipMode flip) {
        this(translate, cutout, flip, false, 0, 0);
    }

    public AugmentSpec {
        Objects.requireNonNull(flip, "flip");
        if (translate < 0 || translate > MAX_TRANSLATE) {
            throw new IllegalArgumentException("translate must be in [0, " + MAX_TRANSLATE + "] pixels, got "
                    + translate);
        }
        if (cutout < 0 || cutout > CifarDataset.HEIGHT) {
            throw new IllegalArgumentException("cutout must be in [0, " + CifarDataset.HEIGHT
                    + "] pixels (0 = none), got " + cutout);
        }
        if (translateOffByOne && translate == 0) {
            throw new IllegalArgumentException("translateOffByOne shifts by -translate .. translate - 1 and needs a"
                    + " translation of at least 1 pixel, got translate 0");
        }
        if (cutmix < 0 || cutmix > CifarDataset.HEIGHT) {
            throw new IllegalArgumentException("cutmix must be in [0, " + CifarDataset.HEIGHT
                    + "] pixels (0 = none), got " + cutmix);
        }
        if (cutmixFromEpoch < 0) {
            throw new IllegalArgumentException("cutmixFromEpoch must be >= 0, got " + cutmixFromEpoch);
        }
    }

    /** Whether epoch {@code epoch} (0-based) mixes its images by CutMix. */
    public boolean cutmixIn(int epoch) {
        return cutmix > 0 && epoch >= cutmixFromEpoch;
    }

    /** CutMix's share of an image's pixels taken from its partner: cutmix^2 / (32 * 32), exact in float. */
    public float cutmixShare() {
        return (float) (cutmix * cutmix) / (CifarDataset.HEIGHT * CifarDataset.WIDTH);
    }
}

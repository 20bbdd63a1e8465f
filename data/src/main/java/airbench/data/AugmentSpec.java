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
 * @param brightness        colour jitter's brightness range (0: none): every pass gives each image one shift
 *                          {@code b ~ U(-brightness, brightness)}, added to every pixel and channel of the normalized,
 *                          translated and flipped image (and its CutMix square) before cutout
 * @param contrast          colour jitter's contrast range (0: none): with it a factor {@code c ~ U(1 - contrast,
 *                          1 + contrast)} per image and pass, {@code x = (x + b) c} (the hiverge record,
 *                          docs/METHOD.md section 14: 0.1399 and 0.1308)
 */
public record AugmentSpec(int translate, int cutout, FlipMode flip, boolean translateOffByOne, int cutmix,
                          int cutmixFromEpoch, double brightness, double contrast) {
    /** Reflect padding needs a pad smaller than the image, so at most 31; 15 keeps the window mostly inside. */
    public static final int MAX_TRANSLATE = 15;

    /** airbench's augmentation: symmetric translation, no CutMix. */
    public AugmentSpec(int translate, int cutout, FlipMode flip) {
        this(translate, cutout, flip, false, 0, 0);
    }

    /** Without colour jitter. */
    public AugmentSpec(int translate, int cutout, FlipMode flip, boolean translateOffByOne, int cutmix,
                       int cutmixFromEpoch) {
        this(translate, cutout, flip, translateOffByOne, cutmix, cutmixFromEpoch, 0, 0);
    }

    public AugmentSpec {
        Objects.requireNonNull(flip, "flip");
        if (!(brightness >= 0 && brightness < 10)) {
            throw new IllegalArgumentException("brightness must be in [0, 10) (0 = no jitter), got " + brightness);
        }
        if (!(contrast >= 0 && contrast < 1)) {
            throw new IllegalArgumentException("contrast must be in [0, 1) (0 = no jitter; the factor stays"
                    + " positive), got " + contrast);
        }
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

    /** Whether every pass jitters each image's brightness or contrast. */
    public boolean colourJitter() {
        return brightness > 0 || contrast > 0;
    }

    /** CutMix's share of an image's pixels taken from its partner: cutmix^2 / (32 * 32), exact in float. */
    public float cutmixShare() {
        return (float) (cutmix * cutmix) / (CifarDataset.HEIGHT * CifarDataset.WIDTH);
    }
}

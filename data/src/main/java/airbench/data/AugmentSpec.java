package airbench.data;

import java.util.Objects;

/**
 * The training-set augmentation of docs/METHOD.md section 2.
 *
 * @param translate maximum random translation in pixels, each direction (images are reflect-padded by this much); 0..15
 * @param cutout    side in pixels of the zeroed square, 0 for no cutout; 0..32
 * @param flip      how images are mirrored
 */
public record AugmentSpec(int translate, int cutout, FlipMode flip) {
    /** Reflect padding needs a pad smaller than the image, so at most 31; 15 keeps the window mostly inside. */
    public static final int MAX_TRANSLATE = 15;

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
    }
}

package airbench.data;

/** How training images are mirrored left-right. */
public enum FlipMode {
    /**
     * The method's alternating flip: each image is mirrored once, with
     * probability 1/2, before training; then every odd epoch mirrors all images.
     * Over any two consecutive epochs every image is seen both ways.
     */
    ALTERNATING,
    /** The ablation baseline: every image is mirrored with probability 1/2, independently every epoch. */
    RANDOM,
    /** Never mirror. */
    NONE
}

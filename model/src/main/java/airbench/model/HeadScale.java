package airbench.model;

/**
 * How the linear head's output is scaled and its weight initialized (docs/METHOD.md sections 3 and 10).
 * The two go together: the 94muon record divides the logits by the head's input width and
 * compensates with a weight of standard deviation 1, so that the head's learning rate does not
 * depend on that width.
 */
public enum HeadScale {
    /** airbench94/95/96: logits = (x W) / 9, W uniform in +-1/sqrt(width). */
    NINTH,
    /** 94muon: logits = (x W) / width, W the uniform init rescaled to standard deviation exactly 1. */
    INPUT_WIDTH;

    /** The factor the head's matrix product is multiplied by, for a head of {@code inputWidth} inputs. */
    public float factor(int inputWidth) {
        // 1f / 9f is the constant the recipes 94/95/96 have always used: keep it bit for bit.
        return this == NINTH ? 1f / 9f : (float) (1.0 / inputWidth);
    }

    /** Whether the head weight's uniform init is rescaled to standard deviation 1. */
    public boolean unitStdInit() {
        return this == INPUT_WIDTH;
    }
}

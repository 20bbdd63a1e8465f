package airbench.model;

/**
 * How a block's first convolution, which widens its input ({@code in < out} channels), starts near the identity
 * (docs/METHOD.md sections 4 and 13). Both start from the fan-in uniform init; every other block convolution is
 * square and starts as the exact identity either way ({@link #REPLACE}).
 */
public enum IdentityInit {
    /**
     * airbench ("partial identity", Dirac): the first {@code in} filters are replaced by the identity (1 at the
     * spatial centre on their own input channel, 0 elsewhere); the others keep their random values.
     */
    REPLACE,
    /**
     * hlb-CIFAR10: 1 is ADDED at the centre of filter i on input channel i (i &lt; in), then one affine map of the
     * whole tensor restores the mean and (unbiased) standard deviation it had before, so the identity entries end
     * well below 1 (about 0.69 / 0.76 / 0.63 in hlb's blocks 1 / 2 / 3) and the random part shrinks a little.
     */
    ADD_AND_RENORMALIZE
}

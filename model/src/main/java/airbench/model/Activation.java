package airbench.model;

/** The activation after each BatchNorm of the blocks (the one after the whitening conv is GELU in every recipe). */
public enum Activation {
    /** Exact GELU, {@code 0.5 x (1 + erf(x / sqrt 2))}: airbench, hlb, 94muon (docs/METHOD.md section 3). */
    GELU,
    /** SiLU, {@code x sigmoid(x)}: the hiverge record's blocks (docs/METHOD.md section 14). */
    SILU
}

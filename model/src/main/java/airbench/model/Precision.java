package airbench.model;

/** Number format of the convolutions. BatchNorm, the loss and all variables stay float32. */
public enum Precision {
    /** Everything in float32. */
    FP32,
    /** Convolution inputs and filters cast to bfloat16, results cast back to float32. */
    BF16
}

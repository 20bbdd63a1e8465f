package airbench.eval;

/** A classifier as evaluation sees it: logits of a batch of images. */
@FunctionalInterface
public interface LogitsFunction {
    /**
     * @param images normalized float NHWC [count, 32, 32, 3]
     * @return logits [count, classes], row-major
     */
    float[] logits(float[] images, int count);
}

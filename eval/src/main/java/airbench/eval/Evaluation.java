package airbench.eval;

/**
 * Test accuracy at one TTA level.
 *
 * @param ttaLevel the test-time augmentation level, 0 to 2
 * @param correct  images whose arg-max class equals the label
 * @param total    images evaluated
 */
public record Evaluation(int ttaLevel, int correct, int total) {
    public Evaluation {
        TestTimeAugmentation.checkLevel(ttaLevel);
        if (total < 0 || correct < 0 || correct > total) {
            throw new IllegalArgumentException("an evaluation needs 0 <= correct <= total, got " + correct + " of "
                    + total);
        }
    }

    /** Fraction of images classified correctly; 0 when no image was evaluated. */
    public double accuracy() {
        return total == 0 ? 0 : (double) correct / total;
    }
}

package airbench.eval;

/** Test accuracy at one TTA level. */
public record Evaluation(int ttaLevel, int correct, int total) {
    public double accuracy() {
        return total == 0 ? 0 : (double) correct / total;
    }
}

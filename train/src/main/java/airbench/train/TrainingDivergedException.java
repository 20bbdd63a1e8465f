package airbench.train;

/** The loss stopped being a finite number: the run is stopped rather than producing a meaningless model. */
public final class TrainingDivergedException extends RuntimeException {
    public TrainingDivergedException(String message) {
        super(message);
    }
}

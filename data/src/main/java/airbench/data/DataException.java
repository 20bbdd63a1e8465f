package airbench.data;

/**
 * A problem with the training data that the user has to fix: a missing path, a
 * truncated or foreign file, a failed download. The message always names the
 * file, the problem and what to do, because it is shown to the user as is
 * (the CLI prints the message, not the stack trace).
 */
public final class DataException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public DataException(String message) {
        super(message);
    }

    public DataException(String message, Throwable cause) {
        super(message, cause);
    }
}

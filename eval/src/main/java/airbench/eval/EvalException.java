package airbench.eval;

/**
 * A problem with a model folder or an input image that the user has to fix: the
 * message names the file or folder and the problem, and is shown as is (the
 * commands print the message, not the stack trace, and exit with code 1).
 */
public final class EvalException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public EvalException(String message) {
        super(message);
    }

    public EvalException(String message, Throwable cause) {
        super(message, cause);
    }
}

package airbench.model;

/**
 * The coefficients (a, b, c) of Muon's quintic Newton-Schulz iteration {@code X = a X + (b A + c A A) X} with
 * {@code A = X X^T} (docs/METHOD.md sections 10 and 14). Both published sets push the singular values into roughly
 * [0.5, 1.5] in three iterations rather than converging to 1, on purpose.
 *
 * @param a the coefficient of X
 * @param b the coefficient of A X
 * @param c the coefficient of A A X
 */
public record NewtonSchulz(double a, double b, double c) {
    /** The 94muon record's coefficients (3.4445, -4.7750, 2.0315). */
    public static final NewtonSchulz AIRBENCH94_MUON = new NewtonSchulz(Muon.NS_A, Muon.NS_B, Muon.NS_C);
    /** The hiverge record's coefficients (3.4576, -4.7391, 2.0843), docs/METHOD.md section 14. */
    public static final NewtonSchulz HIVERGE = new NewtonSchulz(3.4576, -4.7391, 2.0843);

    public NewtonSchulz {
        if (!Double.isFinite(a) || !Double.isFinite(b) || !Double.isFinite(c)) {
            throw new IllegalArgumentException("Newton-Schulz coefficients must be finite, got (" + a + ", " + b + ", "
                    + c + ")");
        }
    }

    @Override
    public String toString() {
        return "(" + a + ", " + b + ", " + c + ")";
    }
}

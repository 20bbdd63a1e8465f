package airbench.train;

/**
 * Student's t distribution, for the one-sided test that a mean over runs exceeds a given accuracy (the evidence the
 * hiverge record gives, docs/METHOD.md section 14). The upper tail is the regularized incomplete beta function,
 * {@code P(T > t) = I_x(v / 2, 1 / 2) / 2} with {@code x = v / (v + t^2)} for {@code t >= 0}, evaluated by its
 * continued fraction (modified Lentz, as in Numerical Recipes, section 6.4) with the log-gamma function of Lanczos
 * (g = 7, nine coefficients); about 1e-14 relative accuracy, far below what a p-value needs.
 */
public final class StudentT {
    private static final double[] LANCZOS = {0.99999999999980993, 676.5203681218851, -1259.1392167224028,
            771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012,
            9.9843695780195716e-6, 1.5056327351493116e-7};

    private StudentT() {}

    /** {@code P(T > t)} for Student's t with {@code degreesOfFreedom} (> 0) degrees of freedom. */
    public static double upperTail(double t, double degreesOfFreedom) {
        if (!(degreesOfFreedom > 0)) {
            throw new IllegalArgumentException("degrees of freedom must be positive, got " + degreesOfFreedom);
        }
        if (Double.isNaN(t)) {
            throw new IllegalArgumentException("t is NaN");
        }
        if (t == Double.POSITIVE_INFINITY) {
            return 0;
        }
        if (t == Double.NEGATIVE_INFINITY) {
            return 1;
        }
        double v = degreesOfFreedom;
        double tail = 0.5 * regularizedBeta(v / (v + t * t), v / 2, 0.5);
        return t >= 0 ? tail : 1 - tail;
    }

    /** The regularized incomplete beta function {@code I_x(a, b)}, x in [0, 1], a, b > 0. */
    static double regularizedBeta(double x, double a, double b) {
        if (x <= 0) {
            return 0;
        }
        if (x >= 1) {
            return 1;
        }
        double front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log1p(-x));
        // The continued fraction converges fast for x < (a + 1) / (a + b + 2); use the symmetry otherwise.
        if (x < (a + 1) / (a + b + 2)) {
            return front * continuedFraction(x, a, b) / a;
        }
        return 1 - front * continuedFraction(1 - x, b, a) / b;
    }

    private static double continuedFraction(double x, double a, double b) {
        double tiny = 1e-300;
        double c = 1;
        double d = 1 - (a + b) * x / (a + 1);
        d = 1 / (Math.abs(d) < tiny ? tiny : d);
        double h = d;
        for (int m = 1; m <= 10_000; m++) {
            int m2 = 2 * m;
            double even = m * (b - m) * x / ((a + m2 - 1) * (a + m2));
            d = 1 + even * d;
            d = 1 / (Math.abs(d) < tiny ? tiny : d);
            c = 1 + even / c;
            c = Math.abs(c) < tiny ? tiny : c;
            h *= d * c;
            double odd = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1));
            d = 1 + odd * d;
            d = 1 / (Math.abs(d) < tiny ? tiny : d);
            c = 1 + odd / c;
            c = Math.abs(c) < tiny ? tiny : c;
            double delta = d * c;
            h *= delta;
            if (Math.abs(delta - 1) < 1e-15) {
                return h;
            }
        }
        throw new IllegalStateException("the incomplete beta continued fraction did not converge for x " + x
                + ", a " + a + ", b " + b);
    }

    /** ln Gamma(x) for x > 0 (Lanczos, with the reflection formula below 0.5). */
    static double logGamma(double x) {
        if (x < 0.5) {
            return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
        }
        double z = x - 1;
        double sum = LANCZOS[0];
        double t = z + 7.5;
        for (int i = 1; i < LANCZOS.length; i++) {
            sum += LANCZOS[i] / (z + i);
        }
        return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
    }
}

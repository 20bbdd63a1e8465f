package airbench.train;

import java.util.List;

/**
 * Mean, sample standard deviation and 95% confidence interval of the mean
 * (Student's t with n - 1 degrees of freedom) of per-run accuracies. With a single run there is no
 * spread: the standard deviation and the interval are null (written as JSON null, never as "NaN", which
 * JSON readers do not take for a number).
 */
public record RunStatistics(int n, double mean, Double standardDeviation, Double ciLow, Double ciHigh) {

    /** Two-sided 95% quantiles of Student's t for 1..30 degrees of freedom. */
    private static final double[] T975 = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
            2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060,
            2.056, 2.052, 2.048, 2.045, 2.042};

    public static RunStatistics of(List<Double> values) {
        int n = values.size();
        if (n == 0) {
            throw new IllegalArgumentException("no runs to summarize");
        }
        double mean = values.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        if (n == 1) {
            return new RunStatistics(1, mean, null, null, null);
        }
        double squares = values.stream().mapToDouble(v -> (v - mean) * (v - mean)).sum();
        double sd = Math.sqrt(squares / (n - 1));
        double half = tQuantile975(n - 1) * sd / Math.sqrt(n);
        return new RunStatistics(n, mean, sd, mean - half, mean + half);
    }

    /**
     * The one-sided t-test that the mean of the runs exceeds {@code threshold} (an accuracy, as a fraction): the
     * probability, if the true mean were {@code threshold}, of a sample mean at least this far above it, {@code
     * P(T > (mean - threshold) / (sd / sqrt(n)))} with n - 1 degrees of freedom ({@link StudentT}). Null with a
     * single run (no spread to test against); with runs that all agree, 0 above the threshold, 1 below it, 0.5 on it.
     */
    public Double pValueAbove(double threshold) {
        if (standardDeviation == null) {
            return null;
        }
        double t = standardDeviation == 0 ? (mean == threshold ? 0 : Math.signum(mean - threshold)
                * Double.POSITIVE_INFINITY) : (mean - threshold) / (standardDeviation / Math.sqrt(n));
        return StudentT.upperTail(t, n - 1);
    }

    /** The 97.5% quantile of Student's t; beyond the table, a Cornish-Fisher expansion around 1.95996. */
    static double tQuantile975(int degreesOfFreedom) {
        if (degreesOfFreedom < 1) {
            throw new IllegalArgumentException("degrees of freedom must be >= 1, got " + degreesOfFreedom);
        }
        if (degreesOfFreedom <= T975.length) {
            return T975[degreesOfFreedom - 1];
        }
        double z = 1.959964;
        double v = degreesOfFreedom;
        return z + (z * z * z + z) / (4 * v) + (5 * Math.pow(z, 5) + 16 * z * z * z + 3 * z) / (96 * v * v);
    }
}

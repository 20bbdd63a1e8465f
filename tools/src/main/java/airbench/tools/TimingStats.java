package airbench.tools;

import java.util.Arrays;

/**
 * Summary of repeated timings of one configuration, in milliseconds.
 *
 * @param samples the timed repetitions, in the order measured
 * @param median  middle value (mean of the two middle values for an even count)
 * @param min     fastest repetition
 * @param max     slowest repetition
 * @param q1      first quartile (linear interpolation between order statistics, as numpy's default)
 * @param q3      third quartile (same rule)
 */
public record TimingStats(double[] samples, double median, double min, double max, double q1, double q3) {

    public TimingStats {
        samples = samples.clone();
    }

    /** The timed repetitions (a copy). */
    @Override
    public double[] samples() {
        return samples.clone();
    }

    /** Summarizes at least one sample. */
    public static TimingStats of(double... samples) {
        if (samples.length == 0) {
            throw new IllegalArgumentException("no timing samples");
        }
        double[] sorted = samples.clone();
        Arrays.sort(sorted);
        return new TimingStats(samples, quantile(sorted, 0.5), sorted[0], sorted[sorted.length - 1],
                quantile(sorted, 0.25), quantile(sorted, 0.75));
    }

    /**
     * Quantile {@code p} of sorted values: position {@code p (n - 1)}, interpolated linearly between
     * its neighbours (for p = 0.5 this is the usual median).
     */
    static double quantile(double[] sorted, double p) {
        double position = p * (sorted.length - 1);
        int below = (int) Math.floor(position);
        int above = (int) Math.ceil(position);
        return sorted[below] + (position - below) * (sorted[above] - sorted[below]);
    }

    /** Interquartile range {@code q3 - q1}. */
    public double iqr() {
        return q3 - q1;
    }

    /** Throughput at the median: {@code batch / (median / 1000)}. */
    public double imagesPerSecond(int batch) {
        return batch / (median / 1000);
    }

    /**
     * One-time cost of the first call: its time minus the steady-state median (compilation, graph
     * optimization, memory allocation); never below zero.
     */
    public double oneTimeCost(double firstCallMillis) {
        return Math.max(0, firstCallMillis - median);
    }

    /** How many times faster {@code faster} is than {@code slower}: ratio of medians, slower / faster. */
    public static double speedup(TimingStats slower, TimingStats faster) {
        return slower.median / faster.median;
    }
}

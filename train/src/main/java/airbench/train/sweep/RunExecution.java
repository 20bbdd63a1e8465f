package airbench.train.sweep;

import airbench.train.run.ScratchRun;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Trains one run of a sweep where it executes (a Spark task, a shard, the embedded engine) and turns the result
 * or the failure into data. The training itself is {@link ScratchRun#train}, the one place where a sweep calls the
 * trainer; this class only times it and catches what it throws.
 */
final class RunExecution {
    private static final Logger LOG = LogManager.getLogger(RunExecution.class);

    private RunExecution() {}

    /**
     * Trains {@code spec} with {@code threads} TensorFlow threads. An exception of the training (bad data, a bad
     * option value found only at run time, a diverged loss) becomes a failed outcome, so that the other runs go
     * on; an {@link Error} (out of memory, a native library that does not load) is left to the caller: Spark
     * then retries the task elsewhere, and since every run is seeded the retry gives the same result.
     */
    static RunOutcome execute(RunSpec spec, int threads, RunOutcome.Worker where) {
        long start = System.nanoTime();
        LOG.info("training {} ({} threads)", spec, threads);
        try {
            String result = ScratchRun.train(spec.optionsWithThreads(threads), spec.seed());
            return new RunOutcome(spec, result, null, where, seconds(start));
        } catch (Exception e) {
            // The reason in one line; the stack only at debug level (a data or option problem is not a bug).
            LOG.error("run {} failed: {}", spec, describe(e));
            LOG.debug("run {} failed", spec, e);
            return RunOutcome.failed(spec, describe(e), where, seconds(start));
        }
    }

    /** The exception and its causes as one line: type and message of each. */
    static String describe(Throwable e) {
        StringBuilder text = new StringBuilder();
        for (Throwable t = e; t != null && text.length() < 2000; t = t.getCause() == t ? null : t.getCause()) {
            if (!text.isEmpty()) {
                text.append("; caused by ");
            }
            text.append(t.getClass().getName()).append(": ").append(t.getMessage());
        }
        return text.toString();
    }

    private static double seconds(long start) {
        return (System.nanoTime() - start) / 1e9;
    }
}

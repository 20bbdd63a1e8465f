package airbench.train.sweep;

import airbench.train.StopSignal;
import airbench.train.TrainingStoppedException;
import airbench.train.run.ScratchRun;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Trains one run of a sweep where it executes (a Spark task, a shard, the embedded engine) and turns the result
 * or the failure into data. The training itself is {@link ScratchRun#train}, the one place where a sweep calls the
 * trainer; this class chooses the run's work folder, times it and catches what it throws.
 *
 * <p>A run keeps its checkpoints (every epoch end, every {@code --checkpoint-every} steps, the step of a stop) in
 * its work folder until its result is recorded, so that a task killed with its executor, or stopped by SIGTERM,
 * continues from there when Spark retries it or when the sweep is run again ({@link SweepFolder#workFolder} says
 * where that folder is).
 */
final class RunExecution {
    private static final Logger LOG = LogManager.getLogger(RunExecution.class);
    /**
     * The stop request of the sweep this process drives, read by the runs that execute here: a shard's, and the
     * tasks of Spark's local mode, which run in the driver's JVM. An executor elsewhere never sees one requested
     * (Spark handles its signals); its runs continue from their periodic checkpoints.
     */
    private static volatile StopSignal processStop = new StopSignal();

    private RunExecution() {}

    /** Makes {@code stop} the stop request of the runs executing in this process, until {@link #endStopWatch}. */
    static void watchStop(StopSignal stop) {
        processStop = stop;
    }

    /** Forgets the sweep's stop request (a later sweep in this JVM starts unstopped). */
    static void endStopWatch() {
        processStop = new StopSignal();
    }

    /** Whether a stop of this process's sweep was requested. */
    static boolean stopRequested() {
        return processStop.requested();
    }

    /**
     * Trains {@code spec} with {@code threads} TensorFlow threads in its work folder under {@code sweepFolder}
     * (the driver's path of the sweep folder). An exception of the training (bad data, a bad option value found
     * only at run time, a diverged loss) becomes a failed outcome, so that the other runs go on; a stop request a
     * stopped outcome; an {@link Error} (out of memory, a native library that does not load) is left to the caller:
     * Spark then retries the task, which continues from the run's last checkpoint.
     */
    static RunOutcome execute(RunSpec spec, int threads, RunOutcome.Worker where, String sweepFolder) {
        long start = System.nanoTime();
        StopSignal stop = processStop;
        if (stop.requested()) {
            return RunOutcome.stopped(spec, "not started: the sweep was stopped (" + stop.reason().orElseThrow()
                    + ")", where, 0);
        }
        Path work = SweepFolder.workFolder(sweepFolder, spec);
        boolean shared = work.startsWith(Path.of(sweepFolder));
        if (Files.isRegularFile(ScratchRun.checkpoint(work, spec.seed()))) {
            LOG.info("training {} ({} threads), continuing from its checkpoint in {}", spec, threads, work);
        } else {
            LOG.info("training {} ({} threads) in {}", spec, threads, work);
        }
        try {
            String result = ScratchRun.train(spec.optionsWithThreads(threads), spec.seed(), work, stop);
            if (!shared) {
                // The driver records the result and cannot reach this machine's disk to clear the folder.
                ScratchRun.deleteWorkFolder(work);
            }
            return new RunOutcome(spec, result, null, where, seconds(start));
        } catch (TrainingStoppedException e) {
            LOG.warn("run {} {}; the next run of the sweep continues it from {}", spec, e.getMessage(), work);
            clearIfNothingKept(work, spec);
            return RunOutcome.stopped(spec, e.getMessage(), where, seconds(start));
        } catch (Exception e) {
            // The reason in one line; the stack only at debug level (a data or option problem is not a bug).
            LOG.error("run {} failed: {}", spec, describe(e));
            LOG.debug("run {} failed", spec, e);
            clearIfNothingKept(work, spec);
            return RunOutcome.failed(spec, describe(e), where, seconds(start));
        }
    }

    /** A run that failed or stopped before its first checkpoint leaves nothing to continue: no folder either. */
    private static void clearIfNothingKept(Path work, RunSpec spec) {
        if (!Files.exists(ScratchRun.checkpoint(work, spec.seed()))) {
            ScratchRun.deleteWorkFolder(work);
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

package airbench.train.sweep;

import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

/** Trains the runs of a sweep somewhere: on Spark ({@link SparkEngine}) or one after another here ({@link InProcessEngine}). */
public interface RunEngine extends AutoCloseable {

    /**
     * Trains every run and hands each outcome to {@code done} on the calling thread as soon as it is known, so
     * that the caller can write it before the next one arrives (an interrupted sweep keeps what finished).
     *
     * @param sweepFolder the sweep's folder as the caller sees it: each run keeps its unfinished training under it
     *                    where the run executes on a machine that sees it too ({@link RunExecution#workFolder})
     */
    void run(List<RunSpec> runs, Path sweepFolder, Consumer<RunOutcome> done) throws InterruptedException;

    /** Where the runs go and with how many threads each, for the log and {@code sweep.json}. */
    String describe();

    @Override
    void close();
}

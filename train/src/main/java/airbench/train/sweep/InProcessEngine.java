package airbench.train.sweep;

import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

/**
 * Runs one after another in this process, without Spark: a shard of a sweep ({@code --shard i/N}) on one machine
 * of a Slurm or Kubernetes array job.
 */
final class InProcessEngine implements RunEngine {
    private final int threads;
    private final String label;

    /**
     * @param threads TensorFlow threads of each run
     * @param label   how the runs' {@code task.json} names this process, e.g. {@code shard 2/8}
     */
    InProcessEngine(int threads, String label) {
        this.threads = threads;
        this.label = label;
    }

    @Override
    public void run(List<RunSpec> runs, Path sweepFolder, Consumer<RunOutcome> done) throws InterruptedException {
        String folder = sweepFolder.toAbsolutePath().normalize().toString();
        for (RunSpec run : runs) {
            if (Thread.interrupted()) {
                throw new InterruptedException("the sweep was interrupted");
            }
            if (RunExecution.stopRequested()) {
                return;  // the runs not started stay to do; the sweep says so
            }
            done.accept(RunExecution.execute(run, threads, RunOutcome.Worker.here(label, 0, threads), folder));
        }
    }

    @Override
    public String describe() {
        return label + ": in this process, one run after another, " + threads + " thread(s) per run";
    }

    @Override
    public void close() {}
}

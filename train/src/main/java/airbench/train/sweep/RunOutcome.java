package airbench.train.sweep;

import java.io.Serializable;

/**
 * What came back from one run, as data (a Spark task's result travels to the driver, so the sweep needs no
 * shared file system): the run's {@code result.json} text or the reason it failed, and where it ran.
 *
 * @param spec       the run
 * @param resultJson the run's {@code result.json} exactly as the trainer wrote it; null when it failed
 * @param error      why it failed (exception class and message); null when it finished
 * @param where      where it ran: the executor, host, process and attempt
 * @param seconds    wall-clock seconds of the attempt, data loading included
 * @param stopped    whether a stop request ended it before its result (not a failure: its checkpoint is kept and
 *                   the next run of the sweep continues it); {@code error} then says where it stopped
 */
public record RunOutcome(RunSpec spec, String resultJson, String error, Worker where, double seconds,
                         boolean stopped) implements Serializable {
    private static final long serialVersionUID = 2L;

    /** A finished or failed run. */
    public RunOutcome(RunSpec spec, String resultJson, String error, Worker where, double seconds) {
        this(spec, resultJson, error, where, seconds, false);
    }

    /**
     * A process that trains runs.
     *
     * @param executor Spark's executor id ({@code driver} in local mode), or {@code shard i/N}, or {@code spark}
     *                 when Spark gave up on the task without a result
     * @param host     the machine's name
     * @param pid      the process id
     * @param attempt  Spark's attempt number of the task (0 the first time; a lost executor makes Spark retry)
     * @param threads  TensorFlow intra-op threads the run got
     */
    public record Worker(String executor, String host, long pid, int attempt, int threads) implements Serializable {
        private static final long serialVersionUID = 1L;

        /** This process. */
        static Worker here(String executor, int attempt, int threads) {
            String host;
            try {
                host = java.net.InetAddress.getLocalHost().getHostName();
            } catch (java.io.IOException e) {
                host = "unknown";
            }
            return new Worker(executor, host, ProcessHandle.current().pid(), attempt, threads);
        }
    }

    public boolean finished() {
        return resultJson != null;
    }

    static RunOutcome failed(RunSpec spec, String error, Worker where, double seconds) {
        return new RunOutcome(spec, null, error, where, seconds, false);
    }

    static RunOutcome stopped(RunSpec spec, String where, Worker worker, double seconds) {
        return new RunOutcome(spec, null, where, worker, seconds, true);
    }
}

package airbench.train.cli;

import airbench.train.StopSignal;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * SIGTERM and SIGINT as a {@link StopSignal}, while a training runs: the first of them requests the stop (the
 * training finishes its step, writes its checkpoint there and ends), a second one ends the process at once with
 * the status of the first. The exit status of a stop is the shell's convention for death by that signal,
 * 128 + its number: 143 for SIGTERM (what Slurm, Kubernetes and spot instances send), 130 for SIGINT (Ctrl-C).
 *
 * <p>Handlers of {@code sun.misc.Signal} (module {@code jdk.unsupported}, in every JDK since 9), not a shutdown
 * hook: a hook runs when the JVM is already going down, after the signal's handler returned, with no way to let
 * the training step finish first. They work alike under {@code java -jar} and {@code mvn exec:java} (the handler
 * is the JVM's, whichever thread runs the training). {@link #close} puts the previous handlers back. A JVM started
 * with {@code -Xrs} (or one that refuses the handler) keeps its own behaviour; a warning says so. So does a process
 * started with one of the signals ignored ({@code SIG_IGN} survives {@code exec}: a script's {@code cmd &} without
 * job control starts {@code cmd} ignoring SIGINT): HotSpot keeps an ignored SIGTERM or SIGINT ignored and installs
 * no handler; a warning says that signal does nothing ({@link #ignoredSignals}).
 */
final class SignalStop implements AutoCloseable {
    private static final Logger LOG = LogManager.getLogger(SignalStop.class);
    /** The signals handled, by name; their numbers come from the JVM ({@link Signal#getNumber}). */
    static final List<String> SIGNALS = List.of("TERM", "INT");

    private final StopSignal stop;
    private final List<Signal> installed = new ArrayList<>();
    private final List<SignalHandler> previous = new ArrayList<>();
    /** The signals of {@link #SIGNALS} that this process ignores (inherited) and that therefore stop nothing. */
    private final List<String> ignored = new ArrayList<>();
    /** 128 + the number of the first signal received; 0 before any. */
    private final AtomicInteger status = new AtomicInteger();

    private SignalStop(StopSignal stop) {
        this.stop = stop;
    }

    /** Handles SIGTERM and SIGINT by requesting {@code stop}, until {@link #close}. */
    static SignalStop install(StopSignal stop) {
        SignalStop handlers = new SignalStop(stop);
        for (String name : SIGNALS) {
            try {
                Signal signal = new Signal(name);
                SignalHandler before = Signal.handle(signal, handlers::received);
                if (before == SignalHandler.SIG_IGN) {
                    // Ignored when the JVM started (inherited through exec): HotSpot keeps SIGTERM, SIGINT and
                    // SIGHUP ignored then and installs nothing, whatever Signal.handle is given; its answer, SIG_IGN,
                    // is the only sign. Put its bookkeeping back and say so: the signal does nothing to the run.
                    Signal.handle(signal, SignalHandler.SIG_IGN);
                    handlers.ignored.add(name);
                    LOG.warn("SIG{} is ignored by this process: it was started with SIG{} ignored (a shell does that"
                            + " to a command it starts in the background with '&' when job control is off, e.g."
                            + " in a script; 'nohup' and 'trap \"\" {}' do it too), and the JVM keeps it so. SIG{}"
                            + " does nothing to this training; {} still stops it with a checkpoint at its step."
                            + " To stop it with SIG{}, start java with SIG{} at its default (in a bash script:"
                            + " 'set -m' before the '&', or '( trap - {}; exec java ... ) &').", name, name, name,
                            name, name.equals("INT") ? "SIGTERM" : "SIGINT", name, name, name);
                    continue;
                }
                handlers.previous.add(before);
                handlers.installed.add(signal);
            } catch (IllegalArgumentException e) {
                LOG.warn("SIG{} cannot be handled in this JVM ({}): it ends the training without a checkpoint at"
                        + " its step", name, e.getMessage());
            }
        }
        return handlers;
    }

    /**
     * The signals of {@link #SIGNALS}, by name, that this process was started ignoring: the JVM keeps them ignored
     * (they neither stop the training nor end the process), with a warning at {@link #install}.
     */
    List<String> ignoredSignals() {
        return List.copyOf(ignored);
    }

    /** The exit status of a stop: 128 + the number of the first signal received (143 SIGTERM, 130 SIGINT). */
    int exitStatus() {
        return status.get();
    }

    /** The exit status of a process ended by {@code signal}: 128 + its number. */
    static int exitStatus(Signal signal) {
        return 128 + signal.getNumber();
    }

    private void received(Signal signal) {
        int code = exitStatus(signal);
        if (status.compareAndSet(0, code)) {
            stop.request("SIG" + signal.getName());
            LOG.warn("SIG{} received: stopping after the current training step and writing a checkpoint at it"
                    + " (a second SIGTERM or SIGINT ends at once)", signal.getName());
            return;
        }
        LOG.warn("SIG{} received again: ending at once with status {}; the last checkpoint written stays",
                signal.getName(), status.get());
        Runtime.getRuntime().halt(status.get());
    }

    /** Puts the previous handlers back. */
    @Override
    public void close() {
        for (int i = 0; i < installed.size(); i++) {
            Signal.handle(installed.get(i), previous.get(i));
        }
        installed.clear();
        previous.clear();
    }
}

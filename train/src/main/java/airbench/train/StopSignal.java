package airbench.train;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A request to end a training early, from outside its loop: a program that embeds the library calls
 * {@link #request} (from any thread: a timer's, a signal handler's), and the training, which looks at it between
 * steps, finishes the step it is taking, hands its state at that step to its {@link CheckpointStore} and throws
 * {@link TrainingStoppedException}. Continued from that checkpoint, the training is bit for bit the one never
 * stopped. The command line's SIGTERM and SIGINT handlers set one ({@code airbench.train.cli}).
 *
 * <pre>{@code
 * StopSignal stop = new StopSignal();
 * Training training = Training.of(recipe).withStopSignal(stop);
 * // elsewhere, e.g. when the machine is about to be taken away:
 * stop.request("spot instance reclaimed");
 * }</pre>
 *
 * <p>One signal serves any number of trainings (the command line's runs of several seeds share one); once
 * requested it stays requested.
 */
public final class StopSignal {
    private final AtomicReference<String> reason = new AtomicReference<>();

    /**
     * Asks the trainings watching this signal to stop after their current step.
     *
     * @param why what asked, for the messages (e.g. {@code SIGTERM})
     * @return whether this was the first request (a later one keeps the first reason)
     */
    public boolean request(String why) {
        return reason.compareAndSet(null, why == null || why.isBlank() ? "a stop request" : why);
    }

    /** Whether a stop was requested. */
    public boolean requested() {
        return reason.get() != null;
    }

    /** What asked to stop, if anything did. */
    public Optional<String> reason() {
        return Optional.ofNullable(reason.get());
    }
}

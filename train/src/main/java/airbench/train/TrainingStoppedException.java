package airbench.train;

import java.nio.file.Path;
import java.util.Optional;

/**
 * A training ended early because its {@link StopSignal} was requested: after {@link #steps()} of its
 * {@link #totalSteps()} steps, with its state at that step kept in {@link #checkpoint()} (empty when the training
 * has no {@link CheckpointStore}, as the library's {@link Training#run(airbench.data.CifarDataset)}; nothing is
 * kept then). Not a failure: continuing from the checkpoint finishes the training exactly as if it had not stopped.
 */
public final class TrainingStoppedException extends RuntimeException {
    private final String reason;
    private final long seed;
    private final int steps;
    private final int totalSteps;
    private final transient Path checkpoint;

    /**
     * @param reason     what asked to stop ({@link StopSignal#reason()})
     * @param seed       the training's seed
     * @param steps      optimizer steps done (all kept in the checkpoint)
     * @param totalSteps steps of the whole training (0 when it had not started)
     * @param checkpoint the file holding the state at {@code steps}; null when nothing was kept
     * @param message    what stopped where, and what was kept
     */
    public TrainingStoppedException(String reason, long seed, int steps, int totalSteps, Path checkpoint,
                                    String message) {
        super(message);
        this.reason = reason;
        this.seed = seed;
        this.steps = steps;
        this.totalSteps = totalSteps;
        this.checkpoint = checkpoint;
    }

    /**
     * A training stopped between two steps: {@code where} says where the steps stand, in words (e.g. "epoch 4, 5
     * of its 48 steps done").
     */
    public static TrainingStoppedException afterStep(String reason, long seed, int steps, int totalSteps,
                                                     Path checkpoint, String where) {
        return new TrainingStoppedException(reason, seed, steps, totalSteps, checkpoint, "seed " + seed
                + " stopped (" + reason + ") after step " + steps + " of " + totalSteps + " (" + where + "); "
                + (checkpoint == null ? "nothing was kept (the training has no checkpoint store)"
                : "its state at that step is in " + checkpoint));
    }

    public String reason() {
        return reason;
    }

    public long seed() {
        return seed;
    }

    public int steps() {
        return steps;
    }

    public int totalSteps() {
        return totalSteps;
    }

    /** The checkpoint at {@link #steps()}, or empty when nothing was kept. */
    public Optional<Path> checkpoint() {
        return Optional.ofNullable(checkpoint);
    }
}

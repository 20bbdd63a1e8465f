package airbench.train;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Where a training keeps what it needs to continue after an interruption. The library's {@link Training#run(
 * airbench.data.CifarDataset)} keeps nothing ({@link #NONE}); the command line's run folders
 * ({@code airbench.train.run}) write a checkpoint file at every epoch end and continue from it.
 *
 * <p>A continued training is bit-identical to one never interrupted: the variables hold every piece of random and
 * optimizer state (the data pipeline's randomness is a pure function of the seed and the epoch), and the progress
 * holds the step counter and what the results report.
 */
public interface CheckpointStore {

    /** Keeps nothing: every training starts afresh. */
    CheckpointStore NONE = new CheckpointStore() {
        @Override
        public Optional<Path> folder() {
            return Optional.empty();
        }

        @Override
        public Optional<Saved> resumeFrom() {
            return Optional.empty();
        }

        @Override
        public void epochEnded(TrainingProgress progress, Supplier<Map<String, float[]>> variables) {}
    };

    /**
     * A saved training: its progress and every graph variable by name (weights, BatchNorm statistics, optimizer
     * buffers, Lookahead copies, whitening filters and bias).
     */
    record Saved(TrainingProgress progress, Map<String, float[]> variables) {}

    /** The folder the training's files go to, told to the listeners and named in messages; empty for none. */
    Optional<Path> folder();

    /** The training to continue, or empty to start afresh. */
    Optional<Saved> resumeFrom();

    /**
     * An epoch (or the final partial pass) has ended, before the listeners hear of it; {@code progress} holds its
     * record already. {@code variables} reads the graph's state (costly: call it only to save it).
     */
    void epochEnded(TrainingProgress progress, Supplier<Map<String, float[]>> variables);
}

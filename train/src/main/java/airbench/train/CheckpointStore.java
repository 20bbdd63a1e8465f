package airbench.train;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Where a training keeps what it needs to continue after an interruption. The library's {@link Training#run(
 * airbench.data.CifarDataset)} keeps nothing ({@link #NONE}); the command line's run folders
 * ({@code airbench.train.run}) write a checkpoint file at every epoch end, every {@link #saveEverySteps()} steps and
 * when the training is asked to stop ({@link StopSignal}), and continue from it.
 *
 * <p>A continued training is bit-identical to one never interrupted, from any step: the variables hold every piece
 * of random and optimizer state (the data pipeline's randomness is a pure function of the seed and the step), and
 * the progress holds the step counter, what the results report and the running totals of the epoch under way.
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
        public Optional<Path> save(TrainingProgress progress, Supplier<Map<String, float[]>> variables) {
            return Optional.empty();
        }
    };

    /**
     * A saved training: its progress and every graph variable by name (weights, BatchNorm statistics, optimizer
     * buffers, Lookahead copies, whitening filters and bias), and the file it was read from (empty if none).
     */
    record Saved(TrainingProgress progress, Map<String, float[]> variables, Optional<Path> file) {}

    /** The folder the training's files go to, told to the listeners and named in messages; empty for none. */
    Optional<Path> folder();

    /** The training to continue, or empty to start afresh. */
    Optional<Saved> resumeFrom();

    /**
     * Keeps the training's state after {@code progress.steps()} steps: at an epoch end (or the final partial pass),
     * before the listeners hear of it, with the epoch's record in the history already; every
     * {@link #saveEverySteps()} steps; and when the training stops early. {@code variables} reads the graph's state
     * (costly: call it only to save it).
     *
     * @return the file that holds it, or empty when nothing was kept
     */
    Optional<Path> save(TrainingProgress progress, Supplier<Map<String, float[]>> variables);

    /** Steps between the saves inside an epoch, besides those at every epoch end; 0 for none (the default). */
    default int saveEverySteps() {
        return 0;
    }
}

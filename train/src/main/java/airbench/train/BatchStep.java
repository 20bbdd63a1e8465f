package airbench.train;

import airbench.data.Batch;
import airbench.data.BatchSource;
import airbench.data.TrainingBatches;
import airbench.model.AirbenchModel;
import java.util.Map;

/**
 * What one optimizer step of a run does with its batch, and where the batches come from: the whole
 * batch trains the network (94, 95, 96, 94muon; per-epoch batches, the last partial one dropped), or
 * a proxy network picks the part of it that does ({@link ProxyFilteredStep}, 96faster; batches that
 * straddle epoch boundaries). The trainer's loop, checkpoints and results are the same for both.
 */
interface BatchStep {

    /** The step of {@code recipe}. */
    static BatchStep of(Recipe recipe) {
        return recipe.filter() == null ? new WholeBatch(recipe.optimizer().batchSize()) : new ProxyFilteredStep(recipe);
    }

    /** The batches of the run, cut from {@code passes} (the run's augmented passes over the training set). */
    BatchSource batches(TrainingBatches passes);

    /** Examples the network trains on in one step: what its summed loss and correct count are over. */
    int imagesPerStep();

    /** Takes step {@code step} (0-based) of the schedule on {@code batch}. */
    AirbenchModel.StepResult take(AirbenchModel model, Batch batch, int step, Schedule schedule);

    /** The step's own running sums over the current epoch (for its log line), kept by a mid-epoch checkpoint. */
    default Map<String, Double> epochSums() {
        return Map.of();
    }

    /** Continues an epoch that a checkpoint interrupted: the sums {@link #epochSums()} returned then. */
    default void continueEpoch(Map<String, Double> sums) {}

    /** The plain step: every example of the batch. */
    record WholeBatch(int batchSize) implements BatchStep {
        @Override
        public BatchSource batches(TrainingBatches passes) {
            return passes;
        }

        @Override
        public int imagesPerStep() {
            return batchSize;
        }

        @Override
        public AirbenchModel.StepResult take(AirbenchModel model, Batch batch, int step, Schedule schedule) {
            Schedule.Step plan = schedule.at(step);
            return model.trainStep(batch.images(), batch.labels(), batch.targets(), batchSize, plan.lrMultiplier(),
                    plan.whitenBiasMultiplier(), plan.trainsWhitenBias(), plan.lookaheadAlpha(),
                    plan.renormalizesFilters());
        }
    }
}

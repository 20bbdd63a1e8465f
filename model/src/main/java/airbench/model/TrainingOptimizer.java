package airbench.model;

import java.util.List;

/**
 * The optimizer of a recipe: how every {@link ParameterGroup} is updated, and the settings that
 * go with it. A recipe holds one; the training graph asks it for each group's rule and builds
 * whatever it says, so a new optimizer is a new implementation here, not a branch in the graph or
 * the trainer.
 */
public sealed interface TrainingOptimizer permits OptimizerSpec, MuonSpec {

    /** Examples per optimizer step. */
    int batchSize();


    /** The update rule of {@code group}. */
    GroupRule rule(ParameterGroup group);

    /** Whether Lookahead keeps a slow copy of the state (airbench94/95/96) or the last step is the result (94muon). */
    boolean usesLookahead();


    /** The same optimizer for another batch size (what depends on the batch follows it). */
    TrainingOptimizer withBatchSize(int batchSize);


    /** "name  value" lines with units, for {@code --list-recipes} and the run log. */
    List<String> describe();
}

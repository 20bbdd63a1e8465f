package airbench.train;

import airbench.eval.ClassAccuracy;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;

/**
 * What one training run was and what it got; written as {@code result.json}
 * in the run's folder (field names in snake_case).
 *
 * @param recipe               recipe name
 * @param seed                 the run's seed
 * @param epochs               epochs trained
 * @param options              the invocation's option values as given
 * @param hyperparameters      the resolved recipe, every field
 * @param history              per-epoch records
 * @param ttaAccuracy          final test accuracy at the run's TTA level, as a fraction
 * @param ttaLevel             that level
 * @param accuracyByTtaLevel   final test accuracy at each level up to the run's
 * @param trainSeconds         whitening + training steps + final TTA evaluation (per-epoch evaluation excluded)
 * @param wallSeconds          everything the run took, summed over resumed sessions
 * @param steps                optimizer steps done
 * @param resumedTimes         how often the run was continued from a checkpoint
 * @param batchWaitSeconds     time the training loop waited for the Java batch pipeline
 * @param provenance           code version, library versions, machine, date
 * @param execution            precision and compilation that ran and why, oneDNN requested and active, the
 *                             convolution kernel TensorFlow ran, the CPU model and its deciding flags
 * @param dataset              the dataset trained and tested on ("cifar10", "cifar100", "cifar100-coarse"; null in
 *                             results written before datasets were recorded, which were all CIFAR-10)
 * @param perClassAccuracy     final test accuracy of each class at the run's TTA level, in label order (null in
 *                             older results)
 * @param selectiveTta         with selective TTA (docs/METHOD.md section 14): the share of the test images it
 *                             augmented, and then {@code ttaAccuracy} and {@code perClassAccuracy} are its figures and
 *                             {@code accuracyByTtaLevel} holds the plain one (level 0); null without (left out of the
 *                             JSON)
 */
public record RunResult(String recipe, long seed, double epochs, Map<String, String> options,
                        Map<String, Object> hyperparameters, List<EpochRecord> history, double ttaAccuracy,
                        int ttaLevel, Map<String, Double> accuracyByTtaLevel, double trainSeconds, double wallSeconds,
                        int steps, int resumedTimes, double batchWaitSeconds, Map<String, String> provenance,
                        Map<String, Object> execution, String dataset, List<ClassAccuracy> perClassAccuracy,
                        @JsonInclude(JsonInclude.Include.NON_NULL) Double selectiveTta) {

    /** A result without selective TTA. */
    public RunResult(String recipe, long seed, double epochs, Map<String, String> options,
                     Map<String, Object> hyperparameters, List<EpochRecord> history, double ttaAccuracy,
                     int ttaLevel, Map<String, Double> accuracyByTtaLevel, double trainSeconds, double wallSeconds,
                     int steps, int resumedTimes, double batchWaitSeconds, Map<String, String> provenance,
                     Map<String, Object> execution, String dataset, List<ClassAccuracy> perClassAccuracy) {
        this(recipe, seed, epochs, options, hyperparameters, history, ttaAccuracy, ttaLevel, accuracyByTtaLevel,
                trainSeconds, wallSeconds, steps, resumedTimes, batchWaitSeconds, provenance, execution, dataset,
                perClassAccuracy, null);
    }

    /** A result that does not say its dataset or per-class accuracies (as results were before they did). */
    public RunResult(String recipe, long seed, double epochs, Map<String, String> options,
                     Map<String, Object> hyperparameters, List<EpochRecord> history, double ttaAccuracy,
                     int ttaLevel, Map<String, Double> accuracyByTtaLevel, double trainSeconds, double wallSeconds,
                     int steps, int resumedTimes, double batchWaitSeconds, Map<String, String> provenance,
                     Map<String, Object> execution) {
        this(recipe, seed, epochs, options, hyperparameters, history, ttaAccuracy, ttaLevel, accuracyByTtaLevel,
                trainSeconds, wallSeconds, steps, resumedTimes, batchWaitSeconds, provenance, execution, null, null);
    }
}

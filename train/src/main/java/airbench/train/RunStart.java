package airbench.train;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntToDoubleFunction;
import java.util.function.Supplier;
import org.tensorflow.ndarray.Shape;

/**
 * What a listener may want to know when a run starts or resumes, beyond the per-step and per-epoch
 * records: where the run lives, where it starts, the schedule, and read access to the network.
 *
 * @param seed               the run's seed
 * @param runDir             the run's folder; null for a run of the library ({@link Training#run}), which has none
 * @param startStep          optimizer steps already done: 0 for a new run, the checkpoint's step when resumed
 * @param totalSteps         optimizer steps of the whole run
 * @param batchSize          images per step (a step's summed loss / this = its mean loss per image)
 * @param trainSecondsAtStart timed seconds so far (after the whitening of a new run, the checkpoint's when resumed)
 * @param lrMultiplier       the schedule's learning-rate multiplier of a 0-based step
 * @param networkWeights     reads the network's variables now (by name); valid until the run has ended
 * @param shapes             every network variable's shape, by name
 */
public record RunStart(long seed, Path runDir, int startStep, int totalSteps, int batchSize,
                       double trainSecondsAtStart, IntToDoubleFunction lrMultiplier,
                       Supplier<Map<String, float[]>> networkWeights, Map<String, List<Long>> shapes) {

    /** Shapes as plain lists of dimensions, so that listeners need no TensorFlow type. */
    static Map<String, List<Long>> shapesOf(Map<String, Shape> shapes) {
        Map<String, List<Long>> lists = new LinkedHashMap<>();
        shapes.forEach((name, shape) -> lists.put(name, Arrays.stream(shape.asArray()).boxed().toList()));
        return lists;
    }
}

package airbench.train.sweep;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One run of a sweep, as shipped to whatever trains it (a Spark task or a shard): its cell, seed and the
 * training options of the run as the {@code train} command line would give them, without the seed (passed
 * separately) and without the threads (chosen where the run executes).
 *
 * @param cell    the cell's folder name
 * @param seed    the run's seed
 * @param options the run's training options by flag name (sweep-wide options and the cell's grid values)
 */
public record RunSpec(String cell, long seed, Map<String, String> options) implements Serializable {
    private static final long serialVersionUID = 1L;

    public RunSpec {
        options = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(options));
    }

    /** The run's folder relative to the sweep folder: {@code <cell>/seed-<seed>}. */
    public String folder() {
        return cell + "/seed-" + seed;
    }

    /** The options with {@code threads} TensorFlow intra-op threads, as the run is trained. */
    public Map<String, String> optionsWithThreads(int threads) {
        Map<String, String> withThreads = new LinkedHashMap<>(options);
        withThreads.put("threads", String.valueOf(threads));
        return withThreads;
    }

    @Override
    public String toString() {
        return cell + " seed " + seed;
    }
}

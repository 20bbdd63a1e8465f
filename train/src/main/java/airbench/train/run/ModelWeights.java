package airbench.train.run;

import java.util.Map;

/**
 * The trained network of a finished run ({@code model-weights.bin}: the Lookahead
 * slow copy, network variables only), in the checkpoint's format so that it can
 * be evaluated or exported later.
 */
public final class ModelWeights {

    private ModelWeights() {}

    public static void write(java.nio.file.Path file, Map<String, float[]> networkState) {
        Checkpoint.write(file, new Checkpoint.Header(Map.of(), -1, -1, java.util.List.of(), 0, 0, 0, 0), networkState);
    }
}

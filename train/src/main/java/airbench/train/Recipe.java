package airbench.train;

import airbench.data.AugmentSpec;
import airbench.data.FlipMode;
import airbench.model.HeadScale;
import airbench.model.MuonSpec;
import airbench.model.NetworkSpec;
import airbench.model.OptimizerSpec;
import airbench.model.TrainingOptimizer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Every hyperparameter of a training recipe (METHOD.md sections 6 and 10), in one place,
 * the optimizer included: SGD with Lookahead ({@link OptimizerSpec}) for 94/95/96, Muon with SGD
 * ({@link MuonSpec}) for 94muon.
 * Command-line options only override fields of a preset; the defaults live in
 * the presets alone.
 *
 * <table>
 * <caption>Published recipes</caption>
 * <tr><th></th><th>94</th><th>95</th><th>96</th></tr>
 * <tr><td>epochs</td><td>9.9</td><td>15</td><td>37</td></tr>
 * <tr><td>lr per 1024 examples</td><td>11.5</td><td>10.0</td><td>9.0</td></tr>
 * <tr><td>wd per 1024 examples</td><td>0.0153</td><td>0.0153</td><td>0.012</td></tr>
 * <tr><td>widths</td><td>64/256/256</td><td>128/384/384</td><td>128/384/512</td></tr>
 * </table>
 * 94muon: 8 epochs at batch 2,000, the airbench94 network with a width-scaled head, Muon for the
 * filters, no warmup (the multiplier falls linearly from 1 to 0), no Lookahead.
 *
 * @param name              preset name ("94", "95", "96", "94muon")
 * @param epochs            passes over the training set; fractional values stop mid-pass
 * @param optimizer         the optimizer and its settings: batch size, rates, momentum, weight decay, label smoothing
 * @param augment           translation (px), cutout (px, 0 = none), flip mode
 * @param network           widths, convs per block, residual, BatchNorm memory (the presets' networks are
 *                          {@link NetworkSpec#AIRBENCH94} etc., shared with the timing tool)
 * @param warmupFraction    the lr multiplier rises from 0.2 to 1 over floor(warmupFraction * total steps)
 *                          (0: it starts at 1)
 * @param finalLrMultiplier ... then falls linearly to this value at the last step
 * @param whitenBiasEpochs  epochs during which the whitening bias trains before it freezes
 * @param ttaLevel          test-time augmentation of the final evaluation (0, 1, 2)
 */
public record Recipe(String name, double epochs, TrainingOptimizer optimizer, AugmentSpec augment, NetworkSpec network,
                     double warmupFraction, double finalLrMultiplier, double whitenBiasEpochs, int ttaLevel) {

    /** Epsilon added to the whitening eigenvalues. */
    public static final double WHITEN_EPSILON = 5e-4;
    /** Training images the whitening filters are computed from. */
    public static final int WHITEN_IMAGES = 5000;

    public static final Recipe AIRBENCH94 = new Recipe("94", 9.9,
            new OptimizerSpec(1024, 11.5, 0.85, 0.0153, 64, 0.2),
            new AugmentSpec(2, 0, FlipMode.ALTERNATING),
            NetworkSpec.AIRBENCH94,
            0.23, 0.07, 3, 2);

    public static final Recipe AIRBENCH95 = new Recipe("95", 15,
            new OptimizerSpec(1024, 10.0, 0.85, 0.0153, 64, 0.2),
            new AugmentSpec(2, 0, FlipMode.ALTERNATING),
            NetworkSpec.AIRBENCH95,
            0.23, 0.07, 3, 2);

    public static final Recipe AIRBENCH96 = new Recipe("96", 37,
            new OptimizerSpec(1024, 9.0, 0.85, 0.012, 64, 0.2),
            new AugmentSpec(4, 12, FlipMode.ALTERNATING),
            NetworkSpec.AIRBENCH96,
            0.1, 0.0, 3, 2);

    /** The later 94% record with the Muon optimizer (METHOD.md section 10): 8 x 25 = 200 steps of 2,000. */
    public static final Recipe AIRBENCH94_MUON = new Recipe("94muon", 8,
            MuonSpec.AIRBENCH94_MUON,
            new AugmentSpec(2, 0, FlipMode.ALTERNATING),
            NetworkSpec.AIRBENCH94_MUON,
            0, 0, 3, 2);

    private static final Map<String, Recipe> PRESETS = new LinkedHashMap<>();

    static {
        for (Recipe r : List.of(AIRBENCH94, AIRBENCH95, AIRBENCH96, AIRBENCH94_MUON)) {
            PRESETS.put(r.name(), r);
        }
    }

    public Recipe {
        java.util.Objects.requireNonNull(optimizer, "optimizer");
        if (!(epochs > 0)) {
            throw new IllegalArgumentException("epochs must be positive, got " + epochs);
        }
        if (!(warmupFraction >= 0 && warmupFraction < 1)) {
            throw new IllegalArgumentException("warmupFraction must be in [0, 1), got " + warmupFraction);
        }
        if (!(finalLrMultiplier >= 0)) {
            throw new IllegalArgumentException("finalLrMultiplier must be >= 0, got " + finalLrMultiplier);
        }
        if (!(whitenBiasEpochs >= 0)) {
            throw new IllegalArgumentException("whitenBiasEpochs must be >= 0, got " + whitenBiasEpochs);
        }
        if (ttaLevel < 0 || ttaLevel > 2) {
            throw new IllegalArgumentException("ttaLevel must be 0, 1 or 2, got " + ttaLevel);
        }
    }

    /** The preset of that name, if there is one. */
    public static Optional<Recipe> preset(String name) {
        return Optional.ofNullable(PRESETS.get(name));
    }

    /** Names of all presets, in order. */
    public static List<String> presetNames() {
        return List.copyOf(PRESETS.keySet());
    }

    public static List<Recipe> presets() {
        return List.copyOf(PRESETS.values());
    }

    public Recipe withEpochs(double newEpochs) {
        return new Recipe(name, newEpochs, optimizer, augment, network, warmupFraction, finalLrMultiplier,
                whitenBiasEpochs, ttaLevel);
    }

    public Recipe withAugment(AugmentSpec newAugment) {
        return new Recipe(name, epochs, optimizer, newAugment, network, warmupFraction, finalLrMultiplier,
                whitenBiasEpochs, ttaLevel);
    }

    public Recipe withNetwork(NetworkSpec newNetwork) {
        return new Recipe(name, epochs, optimizer, augment, newNetwork,
                warmupFraction, finalLrMultiplier, whitenBiasEpochs, ttaLevel);
    }

    public Recipe withOptimizer(TrainingOptimizer newOptimizer) {
        return new Recipe(name, epochs, newOptimizer, augment, network, warmupFraction, finalLrMultiplier,
                whitenBiasEpochs, ttaLevel);
    }

    public Recipe withTtaLevel(int level) {
        return new Recipe(name, epochs, optimizer, augment, network, warmupFraction, finalLrMultiplier,
                whitenBiasEpochs, level);
    }

    /** The same recipe with another label smoothing of its loss (0: plain cross-entropy). */
    public Recipe withLabelSmoothing(double labelSmoothing) {
        return withOptimizer(optimizer.withLabelSmoothing(labelSmoothing));
    }

    /**
     * The same recipe with another batch size; what depends on the batch follows it
     * ({@link TrainingOptimizer#withBatchSize}).
     */
    public Recipe withBatchSize(int batchSize) {
        return withOptimizer(optimizer.withBatchSize(batchSize));
    }

    /** Every hyperparameter as "name = value" lines, units included, for --list-recipes and the run log. */
    public String describe() {
        List<String> lines = new ArrayList<>(List.of("recipe " + name, "  epochs                 " + epochs));
        optimizer.describe().forEach(line -> lines.add("  " + line));
        lines.add("  lr schedule            " + (warmupFraction == 0 ? "1" : "0.2 -> 1 over " + warmupFraction
                + " of the steps, then") + " -> " + finalLrMultiplier + " linearly");
        lines.add("  whitening-bias epochs  " + whitenBiasEpochs + (optimizer.whitenBiasDecaysOverItsSteps()
                ? "  (its own multiplier, 1 -> 0 over them)" : ""));
        lines.add("  translate (px)         " + augment.translate());
        lines.add("  cutout (px)            " + (augment.cutout() == 0 ? "none" : augment.cutout()));
        lines.add("  flip                   " + augment.flip().name().toLowerCase());
        lines.add("  widths                 " + network.widths());
        lines.add("  convs per block        " + network.convsPerBlock() + (network.residual() ? ", residual" : ""));
        lines.add("  BatchNorm memory       " + network.batchNormMemory());
        lines.add("  head output            " + (network.head() == HeadScale.NINTH ? "x 1/9"
                : "/ " + network.widths().get(2) + " (its width), weight init std 1"));
        lines.add("  parameters             " + network.parameterCount());
        lines.add("  TTA level              " + ttaLevel);
        return String.join(System.lineSeparator(), lines);
    }
}

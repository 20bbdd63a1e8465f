package airbench.train.run;

import airbench.train.Recipe;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A checkpoint written before the recipe table had names holds the recipe without the settings that were constants
 * then; it must still match the preset it was trained with, so that such a run resumes.
 */
class CheckpointUpgradeTest {
    /** The "hyperparameters" of recipe 94 and 94muon as result.json and checkpoints held them until 2026-12-03. */
    private static final String OLD_94 = "{\"name\": \"94\", \"epochs\": 9.9, \"optimizer\": {\"batch_size\": 1024,"
            + " \"lr_per1024\": 11.5, \"momentum\": 0.85, \"wd_per1024\": 0.0153, \"bias_lr_scale\": 64.0,"
            + " \"label_smoothing\": 0.2}, \"augment\": {\"translate\": 2, \"cutout\": 0, \"flip\": \"ALTERNATING\"},"
            + " \"network\": {\"widths\": [64, 256, 256], \"convs_per_block\": 2, \"residual\": false,"
            + " \"batch_norm_memory\": 0.6, \"num_classes\": 10, \"head\": \"NINTH\"}, \"warmup_fraction\": 0.23,"
            + " \"final_lr_multiplier\": 0.07, \"whiten_bias_epochs\": 3.0, \"tta_level\": 2}";
    private static final String OLD_94MUON = "{\"name\": \"94muon\", \"epochs\": 8.0, \"optimizer\": {\"batch_size\":"
            + " 2000, \"sgd_momentum\": 0.85, \"whiten_bias_lr\": 0.053, \"norm_shift_lr\": 0.053, \"head_lr\": 0.67,"
            + " \"wd_per_example\": 2e-06, \"muon_lr\": 0.24, \"muon_momentum\": 0.6, \"label_smoothing\": 0.2},"
            + " \"augment\": {\"translate\": 2, \"cutout\": 0, \"flip\": \"ALTERNATING\"}, \"network\": {\"widths\":"
            + " [64, 256, 256], \"convs_per_block\": 2, \"residual\": false, \"batch_norm_memory\": 0.6,"
            + " \"num_classes\": 10, \"head\": \"INPUT_WIDTH\"}, \"warmup_fraction\": 0.0, \"final_lr_multiplier\":"
            + " 0.0, \"whiten_bias_epochs\": 3.0, \"tta_level\": 2}";

    @TempDir
    Path dir;

    /** The recipe of a checkpoint holding {@code recipeJson}, written to and read back from disk. */
    @SuppressWarnings("unchecked")
    private Map<String, Object> readBack(String recipeJson) throws Exception {
        Map<String, Object> old = Json.MAPPER.readValue(recipeJson, Map.class);
        Path file = dir.resolve(RunFolder.CHECKPOINT_FILE);
        Checkpoint.write(file, new Checkpoint.Header(old, 0, 48, List.of(), 1, 1, 0, 0, "cifar10"),
                Map.of("head/kernel", new float[] {1f, 2f}));
        return Checkpoint.read(file).header().recipe();
    }

    private Map<String, Object> readBack(Map<String, Object> recipe) throws Exception {
        return readBack(Json.MAPPER.writeValueAsString(recipe));
    }

    /** Recipes shown by their names in the test report (their record text is pages long). */
    private static Stream<Named<Recipe>> named(Stream<Recipe> recipes) {
        return recipes.map(r -> Named.of(r.name(), r));
    }

    @Test
    void anOldSgdCheckpointMatchesThePresetItWasTrainedWith() throws Exception {
        assertEquals(Json.toMap(Recipe.AIRBENCH94), readBack(OLD_94));
    }

    @Test
    void anOldMuonCheckpointGetsNoLookaheadAndTheBiasOwnDecay() throws Exception {
        assertEquals(Json.toMap(Recipe.AIRBENCH94_MUON), readBack(OLD_94MUON));
    }

    /** Every preset of today, hlb and 94hiverge among them, comes back as it was written. */
    static Stream<Named<Recipe>> presets() {
        return named(Recipe.presets().stream());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("presets")
    void aCurrentCheckpointIsReadAsWritten(Recipe recipe) throws Exception {
        Map<String, Object> now = Json.toMap(recipe);
        assertEquals(now, readBack(now));
    }

    /**
     * The recipe as checkpoints held it before recipe hlb (2026-12-03): {@code current} without the settings hlb
     * brought, which every recipe then had at airbench94's values.
     */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> beforeHlb(Map<String, Object> current) throws Exception {
        Map<String, Object> old = Json.MAPPER.readValue(Json.MAPPER.writeValueAsString(current), Map.class);
        for (String key : List.of("whiten_centred", "loss_scale", "lr_shape", "lookahead_start")) {
            assertEquals(true, old.remove(key) != null, key);
        }
        Map<String, Object> augment = (Map<String, Object>) old.get("augment");
        for (String key : List.of("translate_off_by_one", "cutmix", "cutmix_from_epoch")) {
            assertEquals(true, augment.remove(key) != null, key);
        }
        ((Map<String, Object>) old.get("network")).remove("first_conv_identity");
        if (old.get("filter") instanceof Map<?, ?> filter) {
            ((Map<String, Object>) filter.get("proxy")).remove("first_conv_identity");
        }
        return old;
    }

    /** The recipes there were before hlb. */
    static Stream<Named<Recipe>> olderThanHlb() {
        return named(Stream.of(Recipe.AIRBENCH94, Recipe.AIRBENCH94_MUON, Recipe.AIRBENCH96_FASTER));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("olderThanHlb")
    void aCheckpointFromBeforeHlbGetsAirbench94sValuesOfItsSettings(Recipe recipe) throws Exception {
        assertEquals(Json.toMap(recipe), readBack(beforeHlb(Json.toMap(recipe))));
    }

    /**
     * The recipe as checkpoints held it before recipe 94hiverge (2026-12-03): {@code current} without the settings
     * 94hiverge brought, which every recipe then had at 94muon's (or airbench94's) values.
     */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> beforeHiverge(Map<String, Object> current) throws Exception {
        Map<String, Object> old = Json.MAPPER.readValue(Json.MAPPER.writeValueAsString(current), Map.class);
        Map<String, Object> augment = (Map<String, Object>) old.get("augment");
        for (String key : List.of("brightness", "contrast")) {
            assertEquals(true, augment.remove(key) != null, key);
        }
        assertEquals(true, ((Map<String, Object>) old.get("network")).remove("block_activation") != null);
        if (old.get("filter") instanceof Map<?, ?> filter) {
            ((Map<String, Object>) filter.get("proxy")).remove("block_activation");
        }
        Map<String, Object> optimizer = (Map<String, Object>) old.get("optimizer");
        if (optimizer.containsKey("muon_lr")) {
            for (String key : List.of("muon_wd_per_example", "newton_schulz", "renormalization")) {
                assertEquals(true, optimizer.remove(key) != null, key);
            }
        }
        return old;
    }

    /** The recipes there were before 94hiverge. */
    static Stream<Named<Recipe>> olderThanHiverge() {
        return Stream.concat(olderThanHlb(), named(Stream.of(Recipe.HLB)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("olderThanHiverge")
    void aCheckpointFromBeforeHivergeGetsTheValuesItsRecipeHadThen(Recipe recipe) throws Exception {
        assertEquals(Json.toMap(recipe), readBack(beforeHiverge(Json.toMap(recipe))));
    }
}

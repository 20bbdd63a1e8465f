package airbench.train.run;

import airbench.train.EpochRecord;
import airbench.train.TrainingProgress;
import airbench.model.Activation;
import airbench.model.HeadScale;
import airbench.model.IdentityInit;
import airbench.model.NetworkSpec;
import airbench.model.NewtonSchulz;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A run's complete state at an epoch boundary, in one file: every graph variable
 * (weights, BatchNorm statistics, momentum buffers, Lookahead slow copies,
 * whitening filters and bias) plus the progress. The data pipeline's randomness
 * is a pure function of (seed, epoch), so the seed and the step counter are all
 * the random state there is.
 *
 * <p>Layout: magic, header length, header JSON, then per variable its name,
 * value count and float32 values, then an end marker. It is written to a
 * temporary name and renamed, so a crash mid-write never leaves a file that
 * looks valid.
 */
public final class Checkpoint {

    private static final String MAGIC = "AIRBENCH-CHECKPOINT-1";
    private static final String END = "END";

    /**
     * @param recipe          the resolved recipe (every hyperparameter), to refuse a checkpoint of another run
     * @param seed            the run's seed
     * @param steps           optimizer steps done
     * @param history         per-epoch records so far
     * @param trainSeconds    timed seconds so far
     * @param wallSeconds     wall seconds so far
     * @param resumedTimes    how often the run was resumed before
     * @param batchWaitSeconds seconds the loop waited for batches so far
     * @param dataset         the dataset's id (see {@code DatasetChoice#id}); null in checkpoints written before
     *                        datasets were recorded, which were all CIFAR-10's ({@link #datasetOrCifar10})
     */
    public record Header(Map<String, Object> recipe, long seed, int steps, List<EpochRecord> history, double trainSeconds,
                  double wallSeconds, int resumedTimes, double batchWaitSeconds, String dataset) {

        /** A header without a dataset (the final weights file, tests of older checkpoints). */
        public Header(Map<String, Object> recipe, long seed, int steps, List<EpochRecord> history, double trainSeconds,
               double wallSeconds, int resumedTimes, double batchWaitSeconds) {
            this(recipe, seed, steps, history, trainSeconds, wallSeconds, resumedTimes, batchWaitSeconds, null);
        }

        /** The progress part of the header, as the training loop continues from it. */
        public TrainingProgress progress() {
            return new TrainingProgress(steps, trainSeconds, resumedTimes, batchWaitSeconds, history);
        }

        /** The dataset the checkpoint's run trains on; before datasets were recorded only CIFAR-10 was trained. */
        public String datasetOrCifar10() {
            return dataset == null ? "cifar10" : dataset;
        }
    }

    public record Contents(Header header, Map<String, float[]> state) {}

    private Checkpoint() {}

    public static void write(Path file, Header header, Map<String, float[]> state) {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 20))) {
            out.writeUTF(MAGIC);
            byte[] json = Json.MAPPER.writeValueAsBytes(header);
            out.writeInt(json.length);
            out.write(json);
            out.writeInt(state.size());
            for (Map.Entry<String, float[]> e : state.entrySet()) {
                out.writeUTF(e.getKey());
                out.writeInt(e.getValue().length);
                for (float v : e.getValue()) {
                    out.writeFloat(v);
                }
            }
            out.writeUTF(END);
        } catch (IOException e) {
            throw new UncheckedIOException("could not write checkpoint " + tmp + ": " + e.getMessage(), e);
        }
        try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("could not move checkpoint into place at " + file + ": " + e.getMessage(), e);
        }
    }

    public static Contents read(Path file) {
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 20))) {
            if (!MAGIC.equals(in.readUTF())) {
                throw new IllegalStateException("checkpoint " + file + " is not an airbench checkpoint (bad magic)");
            }
            byte[] json = new byte[in.readInt()];
            in.readFully(json);
            Header header = upgraded(Json.MAPPER.readValue(new String(json, StandardCharsets.UTF_8), Header.class));
            int count = in.readInt();
            Map<String, float[]> state = new LinkedHashMap<>();
            for (int i = 0; i < count; i++) {
                String name = in.readUTF();
                float[] values = new float[in.readInt()];
                for (int j = 0; j < values.length; j++) {
                    values[j] = in.readFloat();
                }
                state.put(name, values);
            }
            if (!END.equals(in.readUTF())) {
                throw new IllegalStateException("checkpoint " + file + " is damaged (no end marker)");
            }
            return new Contents(header, state);
        } catch (EOFException e) {
            throw new IllegalStateException("checkpoint " + file + " is truncated; delete it to restart the run"
                    + " from the beginning, or restore a complete copy", e);
        } catch (IOException e) {
            throw new UncheckedIOException("could not read checkpoint " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * A header written by older code, with what that code fixed but did not record, so that its runs still
     * resume: the 1/9 head (before the 94muon change), and the constants that became recipe settings when the
     * recipe table got names (whitening from 5,000 images with epsilon 5e-4, warmup from 0.2, BatchNorm epsilon
     * 1e-12, Lookahead every 5 steps with base 0.95^5 for the SGD recipes and none for Muon, whose whitening
     * bias had its own decay, evaluation batches of 2,000), the label smoothing that the optimizer's settings held,
     * and airbench94's values of the settings recipe hlb brought (docs/METHOD.md section 13: symmetric shifts, no
     * CutMix, the replaced identity of each block's first conv, the uncentred whitening, the plain loss sum, the
     * triangle schedule, Lookahead's slow copy from the start), and 94muon's values of those recipe 94hiverge
     * brought (section 14: no colour jitter, GELU in the blocks, Muon without decay, with 94muon's Newton-Schulz
     * coefficients and renormalization at every step, no selective TTA).
     */
    @SuppressWarnings("unchecked")
    private static Header upgraded(Header header) {
        Map<String, Object> recipe = new LinkedHashMap<>(header.recipe());
        if (recipe.get("network") instanceof Map<?, ?> network) {
            recipe.put("network", upgradedNetwork((Map<String, Object>) network));
        }
        if (recipe.get("filter") instanceof Map<?, ?> f && f.get("proxy") instanceof Map<?, ?> proxy) {
            Map<String, Object> filter = new LinkedHashMap<>((Map<String, Object>) f);
            filter.put("proxy", upgradedNetwork((Map<String, Object>) proxy));
            recipe.put("filter", filter);
        }
        if (recipe.get("augment") instanceof Map<?, ?> a) {
            Map<String, Object> augment = new LinkedHashMap<>((Map<String, Object>) a);
            augment.putIfAbsent("translate_off_by_one", false);
            augment.putIfAbsent("cutmix", 0);
            augment.putIfAbsent("cutmix_from_epoch", 0);
            augment.putIfAbsent("brightness", 0.0);
            augment.putIfAbsent("contrast", 0.0);
            recipe.put("augment", augment);
        }
        recipe.putIfAbsent("whiten_centred", false);
        recipe.putIfAbsent("loss_scale", 1.0);
        recipe.putIfAbsent("lr_shape", "TRIANGLE");
        recipe.putIfAbsent("lookahead_start", 0);
        if (!recipe.containsKey("whiten_images")) {
            boolean muon = recipe.get("optimizer") instanceof Map<?, ?> o && o.containsKey("muon_lr");
            recipe.put("whiten_images", 5000);
            recipe.put("whiten_epsilon", 5e-4);
            recipe.put("initial_lr_multiplier", 0.2);
            recipe.put("whiten_bias_own_decay", muon);
            recipe.put("lookahead_every", muon ? 0 : 5);
            recipe.put("lookahead_base", muon ? 0.0 : Math.pow(0.95, 5));
        }
        recipe.putIfAbsent("eval_batch", 2000);
        recipe.putIfAbsent("tta_selective", 0.0);
        if (recipe.get("optimizer") instanceof Map<?, ?> o && o.containsKey("muon_lr")) {
            Map<String, Object> optimizer = new LinkedHashMap<>((Map<String, Object>) o);
            optimizer.putIfAbsent("muon_wd_per_example", 0.0);
            optimizer.putIfAbsent("newton_schulz", new LinkedHashMap<>(Map.of("a", NewtonSchulz.AIRBENCH94_MUON.a(),
                    "b", NewtonSchulz.AIRBENCH94_MUON.b(), "c", NewtonSchulz.AIRBENCH94_MUON.c())));
            optimizer.putIfAbsent("renormalization", new LinkedHashMap<>(Map.of("min_gap", 1, "gap_growth", 0)));
            recipe.put("optimizer", optimizer);
        }
        if (!recipe.containsKey("label_smoothing") && recipe.get("optimizer") instanceof Map<?, ?> o) {
            Map<String, Object> optimizer = new LinkedHashMap<>((Map<String, Object>) o);
            recipe.put("label_smoothing", optimizer.remove("label_smoothing"));
            recipe.put("optimizer", optimizer);
        }
        if (recipe.equals(header.recipe())) {
            return header;
        }
        return new Header(recipe, header.seed(), header.steps(), header.history(), header.trainSeconds(),
                header.wallSeconds(), header.resumedTimes(), header.batchWaitSeconds(), header.dataset());
    }

    /**
     * A network's settings with those older code fixed: the 1/9 head, BatchNorm epsilon 1e-12, the replaced identity,
     * GELU in the blocks.
     */
    private static Map<String, Object> upgradedNetwork(Map<String, Object> network) {
        Map<String, Object> upgraded = new LinkedHashMap<>(network);
        upgraded.putIfAbsent("head", HeadScale.NINTH.name());
        upgraded.putIfAbsent("batch_norm_epsilon", NetworkSpec.DEFAULT_BATCH_NORM_EPSILON);
        upgraded.putIfAbsent("first_conv_identity", IdentityInit.REPLACE.name());
        upgraded.putIfAbsent("block_activation", Activation.GELU.name());
        return upgraded;
    }
}

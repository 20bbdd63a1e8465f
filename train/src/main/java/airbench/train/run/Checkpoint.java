package airbench.train.run;

import airbench.train.EpochRecord;
import airbench.train.EpochSoFar;
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
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.UTFDataFormatException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.zip.CRC32C;
import java.util.zip.CheckedOutputStream;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * A run's complete state after a whole step (an epoch end, a stop, a
 * {@code --checkpoint-every} step), in one file: every graph variable (weights,
 * BatchNorm statistics, momentum buffers, Lookahead slow copies, whitening
 * filters and bias) plus the progress, with the running totals of an epoch under
 * way. The data pipeline's randomness is a pure function of (seed, step), so
 * the seed and the step counter are all the random state there is.
 *
 * <p>Layout (big-endian, {@link DataOutputStream}'s): the magic {@value #MAGIC}
 * (as {@code writeUTF}), the file's length in bytes (a long), the header JSON's
 * length (an int) and the header, the variable count, then per variable its
 * name ({@code writeUTF}), value count and float32 values, the end marker
 * {@code END}, and last a CRC32C (an int) of every byte before it. It is written
 * to a temporary name, fsynced and renamed, so a crash mid-write never leaves a
 * file that looks valid; a reader checks the length and the checksum before it
 * parses anything, and refuses a file that fails either. The first layout
 * ({@value #MAGIC_UNCHECKED}: the same without the length and the checksum) is
 * still read, unverified, with a warning.
 */
public final class Checkpoint {

    private static final Logger LOG = LogManager.getLogger(Checkpoint.class);
    /** The layout with a length and a CRC32C checksum. */
    static final String MAGIC = "AIRBENCH-CHECKPOINT-2";
    /** The first layout, without length or checksum: still read, unverified. */
    static final String MAGIC_UNCHECKED = "AIRBENCH-CHECKPOINT-1";
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
     * @param epochSoFar      the running totals of the epoch under way when the checkpoint was taken between
     *                        epoch ends (a stop, {@code --checkpoint-every}); null at an epoch end
     */
    public record Header(Map<String, Object> recipe, long seed, int steps, List<EpochRecord> history, double trainSeconds,
                  double wallSeconds, int resumedTimes, double batchWaitSeconds, String dataset, EpochSoFar epochSoFar) {

        /** A header at an epoch end. */
        public Header(Map<String, Object> recipe, long seed, int steps, List<EpochRecord> history, double trainSeconds,
               double wallSeconds, int resumedTimes, double batchWaitSeconds, String dataset) {
            this(recipe, seed, steps, history, trainSeconds, wallSeconds, resumedTimes, batchWaitSeconds, dataset, null);
        }

        /** A header without a dataset (the final weights file, tests of older checkpoints). */
        public Header(Map<String, Object> recipe, long seed, int steps, List<EpochRecord> history, double trainSeconds,
               double wallSeconds, int resumedTimes, double batchWaitSeconds) {
            this(recipe, seed, steps, history, trainSeconds, wallSeconds, resumedTimes, batchWaitSeconds, null);
        }

        /** The progress part of the header, as the training loop continues from it. */
        public TrainingProgress progress() {
            return new TrainingProgress(steps, trainSeconds, resumedTimes, batchWaitSeconds, history,
                    epochSoFar == null ? EpochSoFar.NONE : epochSoFar);
        }

        /** The dataset the checkpoint's run trains on; before datasets were recorded only CIFAR-10 was trained. */
        public String datasetOrCifar10() {
            return dataset == null ? "cifar10" : dataset;
        }
    }

    public record Contents(Header header, Map<String, float[]> state) {}

    private Checkpoint() {}

    /**
     * Writes {@code file} as the class comment says: to a temporary sibling, fsynced with its checksum, then
     * renamed into place (and the folder fsynced), so that a crash leaves the old file or the new one, whole.
     */
    public static void write(Path file, Header header, Map<String, float[]> state) {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        long length;
        try {
            byte[] json = Json.MAPPER.writeValueAsBytes(header);
            length = length(json, state);
            try (FileOutputStream fileOut = new FileOutputStream(tmp.toFile());
                 BufferedOutputStream buffered = new BufferedOutputStream(fileOut, 1 << 20)) {
                CheckedOutputStream checked = new CheckedOutputStream(buffered, new CRC32C());
                DataOutputStream out = new DataOutputStream(checked);
                out.writeUTF(MAGIC);
                out.writeLong(length);
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
                out.flush();
                new DataOutputStream(buffered).writeInt((int) checked.getChecksum().getValue());
                buffered.flush();
                fileOut.getFD().sync();
            }
            if (Files.size(tmp) != length) {
                throw new IllegalStateException("wrote " + Files.size(tmp) + " bytes to " + tmp + " but its layout"
                        + " says " + length + "; this is a bug of Checkpoint.write");
            }
        } catch (IOException e) {
            deleteQuietly(tmp);
            throw new UncheckedIOException("could not write checkpoint " + tmp + ": " + e.getMessage(), e);
        }
        try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            deleteQuietly(tmp);
            throw new UncheckedIOException("could not move checkpoint into place at " + file + ": " + e.getMessage(), e);
        }
        syncFolder(file.toAbsolutePath().getParent());
    }

    /** Bytes of the file {@link #write} writes: magic, length, header, variables, end marker, checksum. */
    private static long length(byte[] json, Map<String, float[]> state) {
        long length = utfLength(MAGIC) + Long.BYTES + Integer.BYTES + json.length + Integer.BYTES;
        for (Map.Entry<String, float[]> e : state.entrySet()) {
            length += utfLength(e.getKey()) + Integer.BYTES + (long) Float.BYTES * e.getValue().length;
        }
        return length + utfLength(END) + Integer.BYTES;
    }

    /** Bytes of {@link DataOutputStream#writeUTF}: a 2-byte length, then modified UTF-8 (1-3 bytes a char). */
    private static long utfLength(String s) {
        long bytes = 2;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            bytes += c >= 0x0001 && c <= 0x007F ? 1 : c <= 0x07FF ? 2 : 3;
        }
        return bytes;
    }

    /** Makes the rename durable; a file system that cannot sync a folder (some do not) is left as it is. */
    private static void syncFolder(Path folder) {
        if (folder == null) {
            return;
        }
        try (FileChannel channel = FileChannel.open(folder, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            LOG.debug("could not sync the folder {}: {}", folder, e.toString());
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            LOG.debug("could not delete {}: {}", file, e.toString());
        }
    }

    /**
     * Reads {@code file} after checking its length and checksum; a file that fails either is refused (an
     * {@link IllegalStateException} naming the file, what is wrong and what to do), never loaded. A file of the
     * first layout, written before checkpoints carried a checksum, is read unverified with a warning.
     */
    public static Contents read(Path file) {
        String magic;
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16))) {
            magic = in.readUTF();
        } catch (EOFException | UTFDataFormatException e) {
            throw damaged(file, "it is too short to be a checkpoint (" + sizeOf(file) + " bytes): it is truncated");
        } catch (IOException e) {
            throw new UncheckedIOException("could not read checkpoint " + file + ": " + e.getMessage(), e);
        }
        if (MAGIC_UNCHECKED.equals(magic)) {
            LOG.warn("{} was written before checkpoints carried a checksum (layout {}): it is read unverified",
                    file, MAGIC_UNCHECKED);
            return parse(file, false);
        }
        if (!MAGIC.equals(magic)) {
            throw new IllegalStateException("checkpoint " + file + " is not an airbench checkpoint (it starts with '"
                    + magic.substring(0, Math.min(magic.length(), 40)) + "', not " + MAGIC + "); it was not loaded."
                    + " Pass the file a training wrote, or " + advice(file));
        }
        verify(file);
        return parse(file, true);
    }

    /** The length the file declares equals its size, and its CRC32C equals that of the bytes before it. */
    private static void verify(Path file) {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            long offset = utfLength(MAGIC);
            ByteBuffer buffer = ByteBuffer.allocate(1 << 20);
            if (size < offset + Long.BYTES + Integer.BYTES) {
                throw damaged(file, "it is " + size + " bytes, too short for its own header: it is truncated");
            }
            buffer.limit(Long.BYTES);
            readFully(channel, buffer, offset);
            long declared = buffer.flip().getLong();
            if (size != declared) {
                throw damaged(file, "it is " + size + " bytes but says it holds " + declared
                        + (size < declared ? ": it is truncated (a copy or write that did not finish)"
                        : ": bytes were added to it, or its length field is damaged"));
            }
            CRC32C crc = new CRC32C();
            long position = 0;
            while (position < size - Integer.BYTES) {
                buffer.clear();
                buffer.limit((int) Math.min(buffer.capacity(), size - Integer.BYTES - position));
                int read = channel.read(buffer, position);
                if (read < 0) {
                    throw damaged(file, "it ended while being read: it is truncated");
                }
                buffer.flip();
                crc.update(buffer);
                position += read;
            }
            buffer.clear();
            buffer.limit(Integer.BYTES);
            readFully(channel, buffer, size - Integer.BYTES);
            int stored = buffer.flip().getInt();
            int computed = (int) crc.getValue();
            if (stored != computed) {
                throw damaged(file, String.format(Locale.ROOT, "its CRC32C checksum is %08x but its contents give"
                        + " %08x: some of its bytes changed after it was written (a disk, memory or copy error)",
                        stored, computed));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not read checkpoint " + file + ": " + e.getMessage(), e);
        }
    }

    private static void readFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
        while (buffer.hasRemaining()) {
            int read = channel.read(buffer, position);
            if (read < 0) {
                throw new EOFException();
            }
            position += read;
        }
    }

    private static Contents parse(Path file, boolean checked) {
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 20))) {
            in.readUTF();
            if (checked) {
                in.readLong();
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
                throw damaged(file, "its end marker is missing");
            }
            return new Contents(header, state);
        } catch (EOFException e) {
            throw damaged(file, "it ended before its last variable: it is truncated");
        } catch (IOException e) {
            throw new UncheckedIOException("could not read checkpoint " + file + ": " + e.getMessage(), e);
        }
    }

    /** The refusal of a damaged file: the file, what is wrong, that it was not loaded, what to do. */
    private static IllegalStateException damaged(Path file, String what) {
        String kind = file.getFileName().toString().equals(RunFolder.WEIGHTS_FILE) ? "weights file " : "checkpoint ";
        return new IllegalStateException(kind + file + " is damaged: " + what + ". It was not loaded. "
                + Character.toUpperCase(advice(file).charAt(0)) + advice(file).substring(1));
    }

    /** What to do about an unusable file, by its kind. */
    private static String advice(Path file) {
        String name = file.getFileName().toString();
        if (name.equals(RunFolder.WEIGHTS_FILE)) {
            return "restore an intact copy of it; the run's SavedModel (model/) holds the same network, and the run"
                    + " can be repeated exactly from its options and seed";
        }
        return "put an intact copy in its place, or delete it (rm " + file + ") to restart this seed from its first"
                + " step; the invocation's finished seeds are kept. Then resume again.";
    }

    private static String sizeOf(Path file) {
        try {
            return String.valueOf(Files.size(file));
        } catch (IOException e) {
            return "?";
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
                header.wallSeconds(), header.resumedTimes(), header.batchWaitSeconds(), header.dataset(),
                header.epochSoFar());
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

package airbench.model;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.Signature;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TUint8;

/**
 * Writes a trained network as a TensorFlow SavedModel (tag {@value #TAG}) that other
 * TensorFlow runtimes can serve.
 *
 * <h2>Layout of the export folder</h2>
 * <ul>
 * <li>{@code saved_model.pb}: one MetaGraph, tag {@value #TAG}, holding only the inference graph
 *     (no loss, gradients, optimizer, momentum buffers or Lookahead copies);</li>
 * <li>{@code variables/variables.index}, {@code variables/variables.data-00000-of-00001}: the network's
 *     variables (about 4 bytes per parameter: ~8 MB for the airbench94 network);</li>
 * <li>{@value #METADATA_FILE}: the network spec, precision, the dataset it was trained on, class names and
 *     normalization, so a loader can check shapes and the dataset and print class names.</li>
 * </ul>
 *
 * <h2>Signatures (every output is float32)</h2>
 * <ul>
 * <li>{@value #SERVING_SIGNATURE}: input {@value #INPUT} uint8 [N, 32, 32, 3] (RGB, NHWC, raw pixels;
 *     normalization, with the training dataset's constants, happens in the graph), outputs {@value #LOGITS} [N, classes] and
 *     {@value #PROBABILITIES} (softmax of the logits).</li>
 * <li>{@value #TTA_SIGNATURE}: same input and outputs, with test-time augmentation level 2 of docs/METHOD.md
 *     section 7 applied in the graph: six views (the image, its mirror, and the mirrored pairs of the
 *     windows [0:32, 0:32] and [2:34, 2:34] of the image REFLECT-padded by 1 pixel), weighted
 *     0.25, 0.25 and 0.125 x 4.</li>
 * <li>{@value #NORMALIZED_SIGNATURE}: input {@value #INPUT} float32 [N, 32, 32, 3] already normalized
 *     as in training, outputs {@value #LOGITS} and {@value #PROBABILITIES}. This is what Java-side
 *     evaluation uses: it feeds exactly the floats the trainer's evaluation fed, so {@code evaluate} on
 *     an export reproduces the accuracy printed by the run (converting back to uint8 would only be exact
 *     for un-augmented images, and would tie evaluation to the input format).</li>
 * </ul>
 *
 * <p>Weights are <em>variables</em> restored by the SavedModel loader, not constants folded into the
 * graph. Reasons: (1) the forward pass is then the very op sequence the training graph evaluates, with
 * the same variable inputs, so TensorFlow's graph optimizer makes the same choices and the logits are
 * bit-identical to the in-training evaluation (with constants, constant folding and the arithmetic
 * optimizer may fold the head scale, BatchNorm statistics or bf16 casts into the weights, which
 * changes the last bits); (2) {@code saved_model.pb} stays small (graph structure only) and the weights
 * live once, in the standard {@code variables/} checkpoint; (3) it is the layout TensorFlow Serving and
 * Python's {@code tf.saved_model.load} expect. Each variable also carries a tiny placeholder + assign
 * pair (how Java sets its value before saving); they hold no data and no serving signature uses them.
 *
 * <p>The export is atomic: everything is written into a temporary sibling folder which is then renamed
 * to the target. An existing target is never replaced unless {@code overwrite} is set, and even then
 * only if it looks like an export (or is empty), so a mistyped path cannot wipe an unrelated folder.
 */
public final class SavedModelExport {
    private static final Logger LOG = LogManager.getLogger(SavedModelExport.class);

    public static final String TAG = "serve";
    public static final String SERVING_SIGNATURE = "serving_default";
    public static final String TTA_SIGNATURE = "tta";
    public static final String NORMALIZED_SIGNATURE = "normalized";
    public static final String INPUT = "images";
    public static final String LOGITS = "logits";
    public static final String PROBABILITIES = "probabilities";
    public static final String METADATA_FILE = "airbench-model.json";
    public static final String SAVED_MODEL_FILE = "saved_model.pb";
    /** Version of the layout above, recorded in the metadata file. */
    public static final int FORMAT_VERSION = 1;

    /**
     * Per-channel CIFAR-10 mean and standard deviation on the [0, 1] scale (R, G, B), the normalization
     * of exports that do not name their dataset ({@link DatasetInfo#unnamedCifar10}). They must equal
     * {@code airbench.data.Normalization.MEAN/STD} (the model module does not depend on the data
     * module; a test in the eval module checks they agree).
     */
    public static final float[] NORMALIZATION_MEAN = {0.4914f, 0.4822f, 0.4465f};
    public static final float[] NORMALIZATION_STD = {0.2470f, 0.2435f, 0.2616f};

    private static final int SIZE = NetworkSpec.IMAGE_SIZE;
    private static final int CHANNELS = NetworkSpec.CHANNELS;

    /** Test hook: runs on the finished temporary folder, just before it is renamed into place. */
    @FunctionalInterface
    interface BeforeCommit {
        void run(Path temporaryFolder) throws IOException;
    }

    private SavedModelExport() {}

    /** {@link #export(NetworkSpec, Precision, Map, List, Path, boolean)} without class names. */
    public static void export(NetworkSpec spec, Precision precision, Map<String, float[]> networkState, Path dir,
                              boolean overwrite) {
        export(spec, precision, networkState, (List<String>) null, dir, overwrite);
    }

    /**
     * Exports a network normalized as CIFAR-10 without naming its dataset: {@link #export(NetworkSpec,
     * Precision, Map, DatasetInfo, Path, boolean)} with {@link DatasetInfo#unnamedCifar10}.
     *
     * @param classNames names of the classes in label order, recorded in the metadata; may be null
     */
    public static void export(NetworkSpec spec, Precision precision, Map<String, float[]> networkState,
                              List<String> classNames, Path dir, boolean overwrite) {
        export(spec, precision, networkState, DatasetInfo.unnamedCifar10(classNames), dir, overwrite);
    }

    /**
     * Exports the network whose variables are {@code networkState} (as returned by
     * {@link AirbenchModel#networkState()}: every network variable, nothing else).
     *
     * @param data      the dataset it was trained on: recorded in the metadata, and its normalization built
     *                  into the uint8 signatures
     * @param dir       the export folder; its parent folders are created if needed
     * @param overwrite replace an existing export at {@code dir}
     * @throws IllegalArgumentException if the state does not match the spec (missing, unknown or mis-sized
     *                                  variables) or the class names do not match the class count
     * @throws UncheckedIOException     if {@code dir} exists and {@code overwrite} is false, or cannot be
     *                                  written; the message names the folder and what to do
     */
    public static void export(NetworkSpec spec, Precision precision, Map<String, float[]> networkState,
                              DatasetInfo data, Path dir, boolean overwrite) {
        export(spec, precision, networkState, data, dir, overwrite, folder -> { });
    }

    static void export(NetworkSpec spec, Precision precision, Map<String, float[]> networkState,
                       DatasetInfo data, Path dir, boolean overwrite, BeforeCommit beforeCommit) {
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(precision, "precision");
        Objects.requireNonNull(networkState, "networkState");
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(dir, "dir");
        List<String> classNames = data.classNames();
        if (classNames != null && classNames.size() != spec.numClasses()) {
            throw new IllegalArgumentException("the network has " + spec.numClasses() + " classes but "
                    + classNames.size() + " class names were given");
        }
        Path target = dir.toAbsolutePath().normalize();
        if (target.getParent() == null) {
            throw new IllegalArgumentException("cannot export to the file-system root " + target);
        }
        checkTarget(target, overwrite);
        long start = System.nanoTime();
        Path parent = target.getParent();
        Path temporary = parent.resolve("." + target.getFileName() + ".tmp-" + UUID.randomUUID());
        try {
            writeSavedModel(spec, precision, networkState, data, temporary);
            Files.writeString(temporary.resolve(METADATA_FILE), metadataJson(spec, precision, data),
                    StandardCharsets.UTF_8);
            beforeCommit.run(temporary);
            commit(temporary, target, overwrite);
        } catch (IOException e) {
            throw new UncheckedIOException("could not export the model to " + target + ": " + e.getMessage(), e);
        } finally {
            deleteQuietly(temporary);
        }
        LOG.info("exported the model as a SavedModel to {} ({} bytes) in {} ms", target, folderSize(target),
                (System.nanoTime() - start) / 1_000_000);
    }

    /** Refuses early (before any work) if the target exists and may not be replaced. */
    private static void checkTarget(Path target, boolean overwrite) {
        if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (!overwrite) {
            throw refusal(target, target + " exists; export into another folder, or allow replacing an earlier"
                    + " export (overwrite = true)");
        }
        if (!Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
            throw refusal(target, target + " exists and is not a folder; only an earlier export is ever replaced,"
                    + " so export into another folder");
        }
        if (!looksLikeExport(target)) {
            throw refusal(target, target + " exists and is not a model export (no " + SAVED_MODEL_FILE + " or "
                    + METADATA_FILE + "); only an earlier export is ever replaced, so export into another folder");
        }
    }

    /** The message is the user-facing one; the cause says which file-system condition it was. */
    private static UncheckedIOException refusal(Path target, String message) {
        return new UncheckedIOException(message, new FileAlreadyExistsException(target.toString()));
    }

    private static boolean looksLikeExport(Path folder) {
        if (Files.exists(folder.resolve(SAVED_MODEL_FILE)) || Files.exists(folder.resolve(METADATA_FILE))) {
            return true;
        }
        try (Stream<Path> children = Files.list(folder)) {
            return children.findAny().isEmpty();
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Renames the finished folder into place. Without an existing target this is one atomic rename.
     * Replacing an export takes two renames (old export aside, new one in; Java has no atomic
     * directory exchange): if the second fails the old export is put back, and it is deleted only
     * once the new one is in place.
     */
    private static void commit(Path temporary, Path target, boolean overwrite) throws IOException {
        if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            try {
                // On Linux rename(2) would silently replace an empty folder created in the meantime; accept that.
                Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE);
                return;
            } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
                // created concurrently: refused below unless overwrite, else replaced
            }
        }
        checkTarget(target, overwrite);
        Path old = target.resolveSibling("." + target.getFileName() + ".old-" + UUID.randomUUID());
        Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
        try {
            Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            try {
                Files.move(old, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException restore) {
                e.addSuppressed(new IOException("the previous export could not be moved back from " + old
                        + ": " + restore.getMessage(), restore));
            }
            throw e;
        }
        deleteQuietly(old);
        if (Files.exists(old)) {
            LOG.warn("the previous export was replaced but could not be fully deleted: {}", old);
        }
    }

    /** Builds the inference graph in a fresh Graph, sets its variables and writes the SavedModel into {@code folder}. */
    private static void writeSavedModel(NetworkSpec spec, Precision precision, Map<String, float[]> state,
                                        DatasetInfo data, Path folder) throws IOException {
        try (Graph graph = new Graph()) {
            Ops tf = Ops.create(graph);
            StateVariable.Factory variables = new StateVariable.Factory(tf);
            // Same scopes as TrainingGraph (variables at the root, ops under "net"), so names match the training graph's.
            AirbenchNetwork network = new AirbenchNetwork(tf.withSubScope("net"), variables, spec, precision);
            List<StateVariable> all = network.variables();
            checkState(all, state);
            Files.createDirectories(folder.getParent());
            Shape batch = Shape.of(-1, SIZE, SIZE, CHANNELS);

            Ops serve = tf.withSubScope("serve");
            Placeholder<TUint8> pixels = serve.withName("images").placeholder(TUint8.class, Placeholder.shape(batch));
            Operand<TFloat32> normalized = normalize(serve.withSubScope("normalize"), pixels, data);
            Operand<TFloat32> logits = network.forward(normalized, AirbenchNetwork.Mode.INFERENCE).logits();
            Operand<TFloat32> plainLogits = serve.withName("logits").identity(logits);
            Operand<TFloat32> plainProbabilities = serve.withName("probabilities").nn.softmax(logits);

            Ops tta = tf.withSubScope("tta");
            Operand<TFloat32> ttaCombined = ttaLevel2(tta, network, normalized, logits);
            Operand<TFloat32> ttaLogits = tta.withName("logits").identity(ttaCombined);
            Operand<TFloat32> ttaProbabilities = tta.withName("probabilities").nn.softmax(ttaCombined);

            Ops floats = tf.withSubScope("normalized");
            Placeholder<TFloat32> floatImages = floats.withName("images")
                    .placeholder(TFloat32.class, Placeholder.shape(batch));
            Operand<TFloat32> floatForward = network.forward(floatImages, AirbenchNetwork.Mode.INFERENCE).logits();
            Operand<TFloat32> floatLogits = floats.withName("logits").identity(floatForward);
            Operand<TFloat32> floatProbabilities = floats.withName("probabilities").nn.softmax(floatForward);

            try (Session session = new Session(graph)) {
                setVariables(session, all, state);
                Signature serving = Signature.builder().key(SERVING_SIGNATURE).input(INPUT, pixels)
                        .output(LOGITS, plainLogits).output(PROBABILITIES, plainProbabilities).build();
                Signature ttaSignature = Signature.builder().key(TTA_SIGNATURE).input(INPUT, pixels)
                        .output(LOGITS, ttaLogits).output(PROBABILITIES, ttaProbabilities).build();
                Signature floatSignature = Signature.builder().key(NORMALIZED_SIGNATURE).input(INPUT, floatImages)
                        .output(LOGITS, floatLogits).output(PROBABILITIES, floatProbabilities).build();
                SavedModelBundle.exporter(folder.toString()).withTags(TAG)
                        .withFunction(session.function(serving))
                        .withFunction(session.function(ttaSignature))
                        .withFunction(session.function(floatSignature))
                        .export();
            }
        }
    }

    /**
     * {@code (x / 255 - mean) / std} per channel with the dataset's mean and std, computed as
     * {@code x * (1 / (255 std)) - mean / std} with the same float constants and operation order as
     * {@code airbench.data.Normalization}, so that the graph's normalized pixels are bit-identical to the
     * ones the trainer evaluates.
     */
    private static Operand<TFloat32> normalize(Ops tf, Operand<TUint8> pixels, DatasetInfo data) {
        float[] mean = data.normalizationMean();
        float[] std = data.normalizationStd();
        float[] scale = new float[CHANNELS];
        float[] shift = new float[CHANNELS];
        for (int c = 0; c < CHANNELS; c++) {
            scale[c] = 1f / (255f * std[c]);
            shift[c] = mean[c] / std[c];
        }
        Operand<TFloat32> x = tf.dtypes.cast(pixels, TFloat32.class);
        return tf.math.sub(tf.math.mul(x, tf.constant(scale)), tf.constant(shift));
    }

    /**
     * docs/METHOD.md section 7, level 2, with the operation order of {@code airbench.eval.TestTimeAugmentation}:
     * {@code pair(v) = 0.5 f(v) + 0.5 f(mirror v)};
     * {@code 0.5 pair(x) + 0.25 pair(padded[0:32, 0:32]) + 0.25 pair(padded[2:34, 2:34])}.
     * {@code plain} is f(x), shared with the serving signature.
     */
    private static Operand<TFloat32> ttaLevel2(Ops tf, AirbenchNetwork network, Operand<TFloat32> x,
                                               Operand<TFloat32> plain) {
        Operand<TFloat32> padded = tf.mirrorPad(x, tf.constant(new int[][] {{0, 0}, {1, 1}, {1, 1}, {0, 0}}),
                "REFLECT");                                                       // [N, 34, 34, 3]
        Operand<TFloat32> upLeft = tf.slice(padded, tf.constant(new int[] {0, 0, 0, 0}),
                tf.constant(new int[] {-1, SIZE, SIZE, CHANNELS}));
        Operand<TFloat32> downRight = tf.slice(padded, tf.constant(new int[] {0, 2, 2, 0}),
                tf.constant(new int[] {-1, SIZE, SIZE, CHANNELS}));
        Operand<TFloat32> pair = mirrorPair(tf, network, x, plain);
        Operand<TFloat32> upLeftPair = mirrorPair(tf, network, upLeft, null);
        Operand<TFloat32> downRightPair = mirrorPair(tf, network, downRight, null);
        Operand<TFloat32> sum = tf.math.add(tf.math.mul(pair, tf.constant(0.5f)),
                tf.math.mul(upLeftPair, tf.constant(0.25f)));
        return tf.math.add(sum, tf.math.mul(downRightPair, tf.constant(0.25f)));
    }

    private static Operand<TFloat32> mirrorPair(Ops tf, AirbenchNetwork network, Operand<TFloat32> images,
                                                Operand<TFloat32> direct) {
        Operand<TFloat32> f = direct != null ? direct
                : network.forward(images, AirbenchNetwork.Mode.INFERENCE).logits();
        Operand<TFloat32> mirrored = network.forward(tf.reverse(images, tf.constant(new int[] {2})),
                AirbenchNetwork.Mode.INFERENCE).logits();
        return tf.math.add(tf.math.mul(f, tf.constant(0.5f)), tf.math.mul(mirrored, tf.constant(0.5f)));
    }

    /** Every network variable must be given, with its size, and nothing else (no optimizer state). */
    private static void checkState(List<StateVariable> variables, Map<String, float[]> state) {
        List<String> problems = new ArrayList<>();
        Map<String, StateVariable> byName = new LinkedHashMap<>();
        variables.forEach(v -> byName.put(v.name(), v));
        for (StateVariable v : variables) {
            float[] values = state.get(v.name());
            if (values == null) {
                problems.add("missing '" + v.name() + "'");
            } else if (values.length != v.size()) {
                problems.add("'" + v.name() + "' has " + values.length + " values, the network needs " + v.size()
                        + " (shape " + v.shape() + ")");
            }
        }
        List<String> unknown = state.keySet().stream().filter(name -> !byName.containsKey(name)).sorted().toList();
        if (!unknown.isEmpty()) {
            problems.add("not network variables (pass AirbenchModel.networkState(), not state()): "
                    + String.join(", ", unknown));
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("the state to export does not match the network: "
                    + String.join("; ", problems));
        }
    }

    private static void setVariables(Session session, List<StateVariable> variables, Map<String, float[]> state) {
        Session.Runner runner = session.runner();
        List<Tensor> tensors = new ArrayList<>();
        try {
            for (StateVariable v : variables) {
                TFloat32 t = TFloat32.tensorOf(v.shape(), DataBuffers.of(state.get(v.name()), true, false));
                tensors.add(t);
                runner.feed(v.feed(), t).addTarget(v.load());
            }
            runner.run().close();
        } finally {
            tensors.forEach(Tensor::close);
        }
    }

    /** The metadata file: network spec, precision, dataset, class names, normalization and signatures, as JSON. */
    static String metadataJson(NetworkSpec spec, Precision precision, DatasetInfo data) {
        List<String> classNames = data.classNames();
        StringBuilder json = new StringBuilder("{\n");
        json.append("  \"format\": \"airbench-savedmodel\",\n");
        json.append("  \"format_version\": ").append(FORMAT_VERSION).append(",\n");
        json.append("  \"widths\": ").append(spec.widths()).append(",\n");
        json.append("  \"convs_per_block\": ").append(spec.convsPerBlock()).append(",\n");
        json.append("  \"residual\": ").append(spec.residual()).append(",\n");
        json.append("  \"batch_norm_memory\": ").append(spec.batchNormMemory()).append(",\n");
        json.append("  \"num_classes\": ").append(spec.numClasses()).append(",\n");
        json.append("  \"head_scale\": ").append(quote(spec.head().name())).append(",\n");
        json.append("  \"dataset\": ").append(data.dataset() == null ? "null" : quote(data.dataset())).append(",\n");
        json.append("  \"class_names\": ");
        if (classNames == null) {
            json.append("null");
        } else {
            json.append('[');
            for (int i = 0; i < classNames.size(); i++) {
                json.append(i == 0 ? "" : ", ").append(quote(classNames.get(i)));
            }
            json.append(']');
        }
        json.append(",\n");
        json.append("  \"precision\": ").append(quote(precision.name())).append(",\n");
        json.append("  \"parameters\": ").append(spec.parameterCount()).append(",\n");
        json.append("  \"input\": {\"name\": ").append(quote(INPUT))
                .append(", \"dtype\": \"uint8\", \"shape\": [-1, 32, 32, 3], \"layout\": \"NHWC RGB\"},\n");
        json.append("  \"normalization\": {\"mean\": ").append(floats(data.normalizationMean()))
                .append(", \"std\": ").append(floats(data.normalizationStd())).append("},\n");
        json.append("  \"signatures\": {")
                .append(quote(SERVING_SIGNATURE)).append(": \"uint8 images, no TTA\", ")
                .append(quote(TTA_SIGNATURE)).append(": \"uint8 images, TTA level 2 (docs/METHOD.md section 7)\", ")
                .append(quote(NORMALIZED_SIGNATURE)).append(": \"normalized float32 images, no TTA\"},\n");
        json.append("  \"outputs\": [").append(quote(LOGITS)).append(", ").append(quote(PROBABILITIES))
                .append("]\n");
        return json.append("}\n").toString();
    }

    private static String floats(float[] values) {
        StringBuilder out = new StringBuilder("[");
        for (int i = 0; i < values.length; i++) {
            out.append(i == 0 ? "" : ", ").append(values[i]);
        }
        return out.append(']').toString();
    }

    private static String quote(String s) {
        StringBuilder out = new StringBuilder("\"");
        for (char ch : s.toCharArray()) {
            switch (ch) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (ch < 0x20) {
                        out.append(String.format(Locale.ROOT, "\\u%04x", (int) ch));
                    } else {
                        out.append(ch);
                    }
                }
            }
        }
        return out.append('"').toString();
    }

    private static long folderSize(Path folder) {
        try (Stream<Path> files = Files.walk(folder)) {
            return files.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
        } catch (IOException | UncheckedIOException e) {
            return -1;
        }
    }

    private static void deleteQuietly(Path folder) {
        if (!Files.exists(folder, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(folder)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    LOG.warn("could not delete {}: {}", p, e.getMessage());
                }
            });
        } catch (IOException | UncheckedIOException e) {
            LOG.warn("could not delete {}: {}", folder, e.getMessage());
        }
    }
}

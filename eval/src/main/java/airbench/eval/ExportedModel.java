package airbench.eval;

import airbench.data.DatasetChoice;
import airbench.data.LabelSet;
import airbench.data.Normalization;
import airbench.model.CpuFeatures;
import airbench.model.SavedModelExport;
import airbench.model.TensorFlowRuntime;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Signature;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.proto.DataType;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TUint8;

/**
 * A model exported by {@link SavedModelExport}, loaded for evaluation and prediction.
 *
 * <p>{@link #logits(float[], int)} (the {@link LogitsFunction} the {@link Evaluator} calls) runs the
 * export's {@value SavedModelExport#NORMALIZED_SIGNATURE} signature on normalized float images: the
 * very floats the trainer's evaluation feeds, so evaluating an export reproduces the run's printed
 * accuracy at every TTA level (TTA itself then runs in Java, as in training). {@link #probabilities}
 * and {@link #ttaLogits} take raw uint8 pixels through the {@value SavedModelExport#SERVING_SIGNATURE}
 * and {@value SavedModelExport#TTA_SIGNATURE} signatures, as any other TensorFlow client would.
 *
 * <p>Loading checks the folder: a SavedModel with tag {@value SavedModelExport#TAG}, a
 * {@value SavedModelExport#SERVING_SIGNATURE} signature taking uint8 {@code images} [N, 32, 32, 3] and
 * returning float {@code logits} and {@code probabilities} [N, classes], the other two signatures (if
 * present) of the same form, and {@value SavedModelExport#METADATA_FILE} (if present) agreeing with them.
 * Every problem is an {@link EvalException} naming the folder.
 *
 * <p>The dataset a model was trained on is what its metadata records ({@code "dataset"}); an export
 * that records none was made before datasets were recorded, when the trainer knew CIFAR-10 only, and
 * counts as CIFAR-10 if it has 10 classes and CIFAR-10's normalization. {@link #datasetFor} refuses
 * to evaluate a model on another dataset.
 */
public final class ExportedModel implements LogitsFunction, AutoCloseable {
    private static final Logger LOG = LogManager.getLogger(ExportedModel.class);
    private static final int SIZE = 32;
    private static final int CHANNELS = 3;
    private static final int IMAGE_VALUES = SIZE * SIZE * CHANNELS;

    private final Path dir;
    private final SavedModelBundle bundle;
    private final int numClasses;
    private final List<String> classNames;
    private final Set<String> signatures;
    private final Optional<DatasetChoice> dataset;
    /** The normalization mean and std of the metadata, null where it records none. */
    private final float[][] normalization;

    private ExportedModel(Path dir, SavedModelBundle bundle, int numClasses, List<String> classNames,
                          Set<String> signatures, Optional<DatasetChoice> dataset, float[][] normalization) {
        this.dir = dir;
        this.bundle = bundle;
        this.numClasses = numClasses;
        this.classNames = List.copyOf(classNames);
        this.signatures = Set.copyOf(signatures);
        this.dataset = dataset;
        this.normalization = normalization;
    }

    /** Loads with as many intra-op threads as cores and one inter-op thread (the trainer's default). */
    public static ExportedModel load(Path dir) {
        return load(dir, Runtime.getRuntime().availableProcessors());
    }

    /**
     * @param threads TensorFlow intra-op threads (inter-op is 1, as in training); 0 for TensorFlow's default
     * @throws EvalException if {@code dir} is not a usable export; the message names the folder and the problem
     */
    public static ExportedModel load(Path dir, int threads) {
        if (!Files.exists(dir)) {
            throw new EvalException("model folder " + dir + " does not exist");
        }
        if (!Files.isDirectory(dir)) {
            throw new EvalException(dir + " is a file, not a SavedModel folder (pass the folder holding "
                    + SavedModelExport.SAVED_MODEL_FILE + ")");
        }
        if (!Files.isRegularFile(dir.resolve(SavedModelExport.SAVED_MODEL_FILE))
                && !Files.isRegularFile(dir.resolve("saved_model.pbtxt"))) {
            throw new EvalException(dir + " is not a SavedModel folder: it has no "
                    + SavedModelExport.SAVED_MODEL_FILE + " (pass the folder a training run exported its model to)");
        }
        JsonNode metadata = readMetadata(dir);
        ConfigProto.Builder config = ConfigProto.newBuilder();
        if (threads > 0) {
            config.setIntraOpParallelismThreads(threads).setInterOpParallelismThreads(1);
        }
        TensorFlowRuntime.ensureConfigured();
        SavedModelBundle bundle;
        try {
            bundle = SavedModelBundle.loader(dir.toString()).withTags(SavedModelExport.TAG)
                    .withConfigProto(config.build()).load();
        } catch (RuntimeException e) {
            throw new EvalException("could not load the SavedModel in " + dir + " with tag '" + SavedModelExport.TAG
                    + "': " + firstLine(e.getMessage()), e);
        }
        try {
            Set<String> available = new TreeSet<>();
            bundle.signatures().forEach(s -> available.add(s.key()));
            if (!available.contains(SavedModelExport.SERVING_SIGNATURE)) {
                throw new EvalException("the SavedModel in " + dir + " has no '" + SavedModelExport.SERVING_SIGNATURE
                        + "' signature (it has: " + (available.isEmpty() ? "none" : String.join(", ", available)) + ")");
            }
            int classes = checkSignature(dir, bundle, SavedModelExport.SERVING_SIGNATURE, DataType.DT_UINT8);
            for (String key : List.of(SavedModelExport.TTA_SIGNATURE, SavedModelExport.NORMALIZED_SIGNATURE)) {
                if (available.contains(key)) {
                    DataType input = key.equals(SavedModelExport.TTA_SIGNATURE) ? DataType.DT_UINT8 : DataType.DT_FLOAT;
                    int other = checkSignature(dir, bundle, key, input);
                    if (other != classes) {
                        throw new EvalException("the SavedModel in " + dir + " is inconsistent: signature '" + key
                                + "' returns " + other + " classes, '" + SavedModelExport.SERVING_SIGNATURE
                                + "' returns " + classes);
                    }
                }
            }
            float[][] normalization = normalization(dir, metadata);
            Optional<DatasetChoice> dataset = dataset(dir, metadata, classes, normalization);
            List<String> names = classNames(dir, metadata, classes, dataset);
            LOG.info("loaded the model in {}: {} classes, trained on {}, signatures {}", dir, classes,
                    dataset.map(DatasetChoice::displayName).orElse("an unrecorded dataset"), available);
            emulatedBf16Warning(dir, metadata == null ? null : metadata.path("precision").asText(null),
                    CpuFeatures.detect()).ifPresent(LOG::warn);
            return new ExportedModel(dir, bundle, classes, names, available, dataset, normalization);
        } catch (RuntimeException e) {
            bundle.close();
            throw e;
        }
    }

    /** Checks one signature's input and outputs; returns its class count. */
    private static int checkSignature(Path dir, SavedModelBundle bundle, String key, DataType inputType) {
        Signature signature = bundle.function(key).signature();
        String where = "signature '" + key + "' of the SavedModel in " + dir;
        Signature.TensorDescription input = signature.getInputs().get(SavedModelExport.INPUT);
        if (input == null || signature.getInputs().size() != 1) {
            throw new EvalException(where + " must take exactly one input named '" + SavedModelExport.INPUT
                    + "', it takes " + signature.getInputs().keySet());
        }
        String expectedType = inputType == DataType.DT_UINT8 ? "uint8" : "float32";
        if (input.dataType != inputType) {
            throw new EvalException(where + ": input '" + SavedModelExport.INPUT + "' has dtype "
                    + typeName(input.dataType) + ", expected " + expectedType);
        }
        long[] shape = input.shape.asArray();
        if (shape == null || shape.length != 4 || shape[1] != SIZE || shape[2] != SIZE || shape[3] != CHANNELS) {
            throw new EvalException(where + ": input '" + SavedModelExport.INPUT + "' has shape "
                    + describe(shape) + ", expected [N, 32, 32, 3] (32x32 RGB images, NHWC)");
        }
        int classes = -1;
        for (String output : List.of(SavedModelExport.LOGITS, SavedModelExport.PROBABILITIES)) {
            Signature.TensorDescription out = signature.getOutputs().get(output);
            if (out == null) {
                throw new EvalException(where + " has no output '" + output + "' (it has "
                        + signature.getOutputs().keySet() + ")");
            }
            long[] dims = out.shape.asArray();
            if (out.dataType != DataType.DT_FLOAT || dims == null || dims.length != 2 || dims[1] < 2) {
                throw new EvalException(where + ": output '" + output + "' is " + typeName(out.dataType) + " "
                        + describe(dims) + ", expected float32 [N, classes]");
            }
            if (classes >= 0 && dims[1] != classes) {
                throw new EvalException(where + ": outputs '" + SavedModelExport.LOGITS + "' and '"
                        + SavedModelExport.PROBABILITIES + "' have different class counts");
            }
            classes = (int) dims[1];
        }
        return classes;
    }

    /**
     * The warning for a model whose convolutions are bfloat16 (trained with {@code --precision auto} on a
     * CPU with native bfloat16) loaded on a CPU that lacks it: TensorFlow emulates bfloat16 there, many
     * times slower than float32. Empty when there is nothing to say.
     */
    static java.util.Optional<String> emulatedBf16Warning(Path dir, String precision, CpuFeatures cpu) {
        if (precision == null || !precision.equalsIgnoreCase("bf16") || cpu.hasNativeBf16()) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of("the model in " + dir + " computes its convolutions in bfloat16, which this CPU ("
                + cpu.describe() + ") does not compute natively: TensorFlow emulates it, many times slower than "
                + "float32. For this machine, use a model trained with --precision fp32.");
    }

    private static JsonNode readMetadata(Path dir) {
        Path file = dir.resolve(SavedModelExport.METADATA_FILE);
        if (!Files.isRegularFile(file)) {
            return null;
        }
        JsonNode node;
        try {
            node = new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new EvalException(file + " is not readable JSON: " + firstLine(e.getMessage()), e);
        }
        if (node == null || !node.isObject()) {
            throw new EvalException(file + " is not a JSON object");
        }
        int version = node.path("format_version").asInt(0);
        if (version > SavedModelExport.FORMAT_VERSION) {
            throw new EvalException(file + " has format version " + version + "; this program reads up to version "
                    + SavedModelExport.FORMAT_VERSION + " (update it)");
        }
        return node;
    }

    /** The metadata's {@code normalization} as {mean, std}, or null where it records none. */
    private static float[][] normalization(Path dir, JsonNode metadata) {
        JsonNode node = metadata == null ? null : metadata.get("normalization");
        if (node == null || node.isNull()) {
            return null;
        }
        float[][] out = new float[2][];
        int k = 0;
        for (String field : List.of("mean", "std")) {
            JsonNode values = node.get(field);
            if (values == null || !values.isArray() || values.size() != CHANNELS) {
                throw new EvalException(dir.resolve(SavedModelExport.METADATA_FILE) + ": \"normalization\" needs a"
                        + " \"" + field + "\" of 3 numbers, it has " + values);
            }
            out[k] = new float[CHANNELS];
            for (int c = 0; c < CHANNELS; c++) {
                out[k][c] = (float) values.get(c).asDouble();
            }
            k++;
        }
        return out;
    }

    /**
     * The dataset the metadata records; for an export that records none (made before datasets were
     * recorded, when every model was a CIFAR-10 model), CIFAR-10 if the model has its 10 classes and
     * normalization, else unknown.
     */
    private static Optional<DatasetChoice> dataset(Path dir, JsonNode metadata, int classes, float[][] normalization) {
        JsonNode recorded = metadata == null ? null : metadata.get("dataset");
        if (recorded != null && !recorded.isNull()) {
            DatasetChoice choice = DatasetChoice.fromId(recorded.asText()).orElseThrow(() -> new EvalException(
                    dir.resolve(SavedModelExport.METADATA_FILE) + " records the dataset '" + recorded.asText()
                            + "', which this version does not know (it knows " + String.join(", ",
                            Arrays.stream(DatasetChoice.values()).map(DatasetChoice::id).toList()) + "); update it"));
            if (choice.numClasses() != classes) {
                throw new EvalException(dir.resolve(SavedModelExport.METADATA_FILE) + " records the dataset "
                        + choice.displayName() + " (" + choice.numClasses() + " classes) but the SavedModel's"
                        + " signatures return " + classes + " classes");
            }
            return Optional.of(choice);
        }
        boolean cifar10Normalization = normalization == null
                || (Arrays.equals(normalization[0], Normalization.CIFAR10.mean())
                && Arrays.equals(normalization[1], Normalization.CIFAR10.std()));
        return classes == DatasetChoice.CIFAR10.numClasses() && cifar10Normalization
                ? Optional.of(DatasetChoice.CIFAR10) : Optional.empty();
    }

    /**
     * Class names from the metadata if recorded there; otherwise the official names of the model's
     * dataset, and "class 0", "class 1", ... where that is unknown too.
     */
    private static List<String> classNames(Path dir, JsonNode metadata, int classes, Optional<DatasetChoice> dataset) {
        if (metadata != null) {
            JsonNode declared = metadata.get("num_classes");
            if (declared != null && declared.isInt() && declared.asInt() != classes) {
                throw new EvalException(dir.resolve(SavedModelExport.METADATA_FILE) + " declares "
                        + declared.asInt() + " classes but the SavedModel's signatures return " + classes);
            }
            JsonNode names = metadata.get("class_names");
            if (names != null && names.isArray()) {
                if (names.size() != classes) {
                    throw new EvalException(dir.resolve(SavedModelExport.METADATA_FILE) + " lists " + names.size()
                            + " class names for a model with " + classes + " classes");
                }
                List<String> out = new ArrayList<>();
                names.forEach(n -> out.add(n.asText()));
                return out;
            }
        }
        if (dataset.isPresent()) {
            return dataset.get().wellKnownClassNames();
        }
        List<String> generic = new ArrayList<>();
        for (int k = 0; k < classes; k++) {
            generic.add("class " + k);
        }
        return generic;
    }

    /** The folder the model was loaded from. */
    public Path directory() {
        return dir;
    }

    public int numClasses() {
        return numClasses;
    }

    /** Names of the classes in label order (see {@link #load} for where they come from). */
    public List<String> classNames() {
        return classNames;
    }

    /**
     * The dataset the model was trained on: as its metadata records it, CIFAR-10 for an export that
     * records none but has CIFAR-10's 10 classes and normalization, else empty.
     */
    public Optional<DatasetChoice> dataset() {
        return dataset;
    }

    /**
     * The dataset to evaluate (or classify images as) this model on: {@code requested} (the
     * {@code --dataset} and {@code --labels} options) if given, else the model's own.
     *
     * @throws EvalException when the model was trained on another dataset than the one requested (a
     *                       CIFAR-10 model on CIFAR-100, a coarse-label model on fine labels, ...), when
     *                       neither says which, or when the class count or the normalization the model
     *                       records does not fit the dataset; the message says what to pass instead
     */
    public DatasetChoice datasetFor(Optional<DatasetChoice> requested) {
        if (requested.isPresent() && dataset.isPresent() && requested.get() != dataset.get()) {
            DatasetChoice trained = dataset.get();
            throw new EvalException("the model in " + dir + " was trained on " + withClasses(trained) + ", not on "
                    + withClasses(requested.get()) + "; evaluate it with " + trained.options()
                    + " (or without --dataset), or pass a model trained with " + requested.get().options());
        }
        DatasetChoice chosen = requested.or(() -> dataset).orElseThrow(() -> new EvalException("the model in "
                + dir + " does not record the dataset it was trained on (" + numClasses + " classes); say which with"
                + " --dataset cifar10|cifar100 (and --labels coarse for CIFAR-100's 20 superclasses)"));
        if (chosen.numClasses() != numClasses) {
            throw new EvalException("the model in " + dir + " has " + numClasses + " classes but "
                    + chosen.displayName() + " has " + chosen.numClasses() + "; pass the dataset it was trained on"
                    + " with --dataset (and --labels)");
        }
        Normalization expected = chosen.normalization();
        if (normalization != null && !(Arrays.equals(normalization[0], expected.mean())
                && Arrays.equals(normalization[1], expected.std()))) {
            throw new EvalException("the model in " + dir + " normalizes its input with mean "
                    + Arrays.toString(normalization[0]) + " and std " + Arrays.toString(normalization[1]) + ", "
                    + chosen.displayName() + " with " + expected + "; it was not trained on " + chosen.displayName());
        }
        return chosen;
    }

    /** "CIFAR-100 (100 classes)", "CIFAR-100 (coarse labels, 20 classes)". */
    private static String withClasses(DatasetChoice dataset) {
        return dataset.variant().displayName() + " (" + (dataset.labelSet() == LabelSet.COARSE ? "coarse labels, " : "")
                + dataset.numClasses() + " classes)";
    }

    /** The signature keys the SavedModel has. */
    public Set<String> signatures() {
        return signatures;
    }

    /**
     * Logits of {@code count} normalized images (no TTA), for the {@link Evaluator}.
     *
     * @param normalizedImages float NHWC [count, 32, 32, 3], normalized as in training
     * @return [count, classes] row-major
     */
    @Override
    public float[] logits(float[] normalizedImages, int count) {
        checkCount(normalizedImages.length, count);
        Shape shape = Shape.of(count, SIZE, SIZE, CHANNELS);
        try (TFloat32 x = TFloat32.tensorOf(shape,
                DataBuffers.of(normalizedImages, true, false).narrow(shape.size()))) {
            return run(SavedModelExport.NORMALIZED_SIGNATURE, x, SavedModelExport.LOGITS, count);
        }
    }

    /** Logits of {@code count} uint8 RGB NHWC images [count, 32, 32, 3] through the serving signature (no TTA). */
    public float[] pixelLogits(byte[] uint8Images, int count) {
        return runPixels(SavedModelExport.SERVING_SIGNATURE, SavedModelExport.LOGITS, uint8Images, count);
    }

    /** Softmax probabilities [count, classes] of {@code count} uint8 RGB NHWC images, no TTA. */
    public float[] probabilities(byte[] uint8Images, int count) {
        return runPixels(SavedModelExport.SERVING_SIGNATURE, SavedModelExport.PROBABILITIES, uint8Images, count);
    }

    /** Logits [count, classes] with TTA level 2 applied in the graph, of {@code count} uint8 RGB NHWC images. */
    public float[] ttaLogits(byte[] uint8Images, int count) {
        return runPixels(SavedModelExport.TTA_SIGNATURE, SavedModelExport.LOGITS, uint8Images, count);
    }

    /** Softmax of the TTA level 2 logits. */
    public float[] ttaProbabilities(byte[] uint8Images, int count) {
        return runPixels(SavedModelExport.TTA_SIGNATURE, SavedModelExport.PROBABILITIES, uint8Images, count);
    }

    private float[] runPixels(String signature, String output, byte[] images, int count) {
        checkCount(images.length, count);
        Shape shape = Shape.of(count, SIZE, SIZE, CHANNELS);
        try (TUint8 x = TUint8.tensorOf(shape, DataBuffers.of(images, true, false).narrow(shape.size()))) {
            return run(signature, x, output, count);
        }
    }

    private float[] run(String signature, Tensor input, String output, int count) {
        if (!signatures.contains(signature)) {
            throw new EvalException("the SavedModel in " + dir + " has no '" + signature + "' signature (it has: "
                    + String.join(", ", new TreeSet<>(signatures)) + "); export it again with this version");
        }
        try (Result result = bundle.function(signature).call(Map.of(SavedModelExport.INPUT, input))) {
            TFloat32 tensor = (TFloat32) result.get(output).orElseThrow(() -> new IllegalStateException(
                    "signature '" + signature + "' returned no '" + output + "'"));
            long[] dims = tensor.shape().asArray();
            if (dims.length != 2 || dims[0] != count || dims[1] != numClasses) {
                throw new IllegalStateException("signature '" + signature + "' of " + dir + " returned shape "
                        + Arrays.toString(dims) + " for " + count + " images of " + numClasses + " classes");
            }
            float[] out = new float[count * numClasses];
            tensor.copyTo(DataBuffers.of(out, false, false));
            return out;
        }
    }

    private static void checkCount(int length, int count) {
        if (count < 1) {
            throw new IllegalArgumentException("need at least one image, got " + count);
        }
        if (length < (long) count * IMAGE_VALUES) {
            throw new IllegalArgumentException("image array holds " + length + " values, fewer than " + count
                    + " images of 32x32x3");
        }
    }

    private static String describe(long[] shape) {
        if (shape == null) {
            return "unknown";
        }
        StringBuilder out = new StringBuilder("[");
        for (int i = 0; i < shape.length; i++) {
            out.append(i == 0 ? "" : ", ").append(shape[i] < 0 ? "N" : String.valueOf(shape[i]));
        }
        return out.append(']').toString();
    }

    private static String typeName(DataType type) {
        return switch (type) {
            case DT_FLOAT -> "float32";
            case DT_UINT8 -> "uint8";
            case DT_DOUBLE -> "float64";
            case DT_INT32 -> "int32";
            case DT_INT64 -> "int64";
            default -> type.name().toLowerCase(java.util.Locale.ROOT).replace("dt_", "");
        };
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "(no message)";
        }
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }

    @Override
    public void close() {
        bundle.close();
    }
}

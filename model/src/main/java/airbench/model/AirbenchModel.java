package airbench.model;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.tensorflow.Graph;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * A built training graph and the session that runs it: the only place where
 * Java arrays become tensors. Training code calls {@link #trainStep}; evaluation
 * calls {@link #logits}; checkpoints use {@link #state} and {@link #loadState}.
 */
public final class AirbenchModel implements AutoCloseable {

    /** Summed loss and number of correct arg-max predictions over one training batch. */
    public record StepResult(double lossSum, int correct) {}

    private final Graph graph;
    private final TrainingGraph training;
    private final Session session;
    private final Map<String, StateVariable> stateByName = new LinkedHashMap<>();

    /**
     * @param threads intra-op threads (inter-op is 1; measured best on a 2-core CPU), 0 for TensorFlow's default
     */
    public AirbenchModel(NetworkSpec spec, Precision precision, OptimizerSpec optimizer, int threads) {
        graph = new Graph();
        try {
            training = new TrainingGraph(graph, spec, precision, optimizer);
            ConfigProto.Builder config = ConfigProto.newBuilder();
            if (threads > 0) {
                config.setIntraOpParallelismThreads(threads).setInterOpParallelismThreads(1);
            }
            session = new Session(graph, config.build());
        } catch (RuntimeException e) {
            graph.close();
            throw e;
        }
        training.allState().forEach(v -> stateByName.put(v.name(), v));
    }

    public NetworkSpec spec() {
        return training.network.spec();
    }

    /**
     * Sets the starting point of a run: the given whitening filters, zero whitening bias,
     * fan-in uniform block convs with partial identity and head drawn from {@code seed},
     * zero BatchNorm shifts, running mean 0 and variance 1, zero momentum, and
     * Lookahead slow copies equal to the starting weights.
     */
    public void initialize(float[] whitenKernel, long seed) {
        AirbenchNetwork net = training.network;
        Map<String, float[]> values = new LinkedHashMap<>();
        values.put(net.whitenKernel().name(), whitenKernel);
        SplittableRandom random = new SplittableRandom(seed);
        for (StateVariable conv : net.blockConvs()) {
            int in = (int) conv.shape().get(2);
            int out = (int) conv.shape().get(3);
            values.put(conv.name(), ParameterInit.blockConv(in, out, random));
        }
        StateVariable head = net.head();
        values.put(head.name(), ParameterInit.uniformFanIn(1, 1, (int) head.shape().get(0), (int) head.shape().get(1), random));
        for (StateVariable stat : net.runningStats()) {
            float[] initial = new float[stat.size()];
            if (stat.name().endsWith("variance")) {
                Arrays.fill(initial, 1f);
            }
            values.put(stat.name(), initial);
        }
        for (StateVariable v : training.allState()) {
            values.putIfAbsent(v.name(), new float[v.size()]);
        }
        for (TrainingGraph.Slow s : training.slowCopies) {
            values.put(s.slow().name(), values.get(s.fast().name()));
        }
        loadState(values);
    }

    /**
     * One optimizer step on a batch of {@code count} normalized NHWC images. With a
     * {@code lookaheadAlpha} the Lookahead blend runs in the same {@code Session.run},
     * after the update.
     */
    public StepResult trainStep(float[] images, int[] labels, int count, double lrMultiplier,
                                boolean trainWhitenBias, Double lookaheadAlpha) {
        try (TFloat32 x = imagesTensor(images, count);
             TInt32 y = TInt32.tensorOf(Shape.of(count), DataBuffers.of(labels, true, false));
             TFloat32 s = TFloat32.scalarOf((float) lrMultiplier);
             TFloat32 gate = TFloat32.scalarOf(trainWhitenBias ? 1f : 0f);
             TFloat32 alpha = TFloat32.scalarOf(lookaheadAlpha == null ? 0f : lookaheadAlpha.floatValue())) {
            Session.Runner runner = session.runner()
                    .feed(training.images, x).feed(training.labels, y)
                    .feed(training.lrMultiplier, s).feed(training.whitenBiasGate, gate)
                    .fetch(training.lossSum).fetch(training.correctCount);
            if (lookaheadAlpha != null) {
                runner.feed(training.lookaheadAlpha, alpha).addTarget(training.trainStepWithLookahead);
            } else {
                runner.addTarget(training.trainStep);
            }
            try (Result result = runner.run()) {
                float loss = ((TFloat32) result.get(0)).getFloat();
                float correct = ((TFloat32) result.get(1)).getFloat();
                return new StepResult(loss, Math.round(correct));
            }
        }
    }

    /** Lookahead blend alone; {@code alpha = 1} copies the slow weights into the model (the end of training). */
    public void lookahead(double alpha) {
        try (TFloat32 a = TFloat32.scalarOf((float) alpha)) {
            session.runner().feed(training.lookaheadAlpha, a).addTarget(training.lookahead).run().close();
        }
    }

    /** Inference-mode logits (running BatchNorm statistics) of {@code count} normalized NHWC images. */
    public float[] logits(float[] images, int count) {
        try (TFloat32 x = imagesTensor(images, count);
             Result result = session.runner().feed(training.evalImages, x).fetch(training.evalLogits).run()) {
            return toArray((TFloat32) result.get(0), count * spec().numClasses());
        }
    }

    /** Names and shapes of every variable, in a stable order. */
    public Map<String, Shape> stateShapes() {
        Map<String, Shape> shapes = new LinkedHashMap<>();
        stateByName.forEach((name, v) -> shapes.put(name, v.shape()));
        return shapes;
    }

    /** Current values of every variable (network, momentum buffers, Lookahead copies). */
    public Map<String, float[]> state() {
        return read(List.copyOf(stateByName.values()));
    }

    /** Current values of the network's own variables: what an evaluated or exported model is. */
    public Map<String, float[]> networkState() {
        return read(training.network.variables());
    }

    /** Sets variables by name; every name must exist and every array must have the variable's size. */
    public void loadState(Map<String, float[]> values) {
        Session.Runner runner = session.runner();
        List<Tensor> tensors = new java.util.ArrayList<>();
        try {
            for (Map.Entry<String, float[]> entry : values.entrySet()) {
                StateVariable v = stateByName.get(entry.getKey());
                if (v == null) {
                    throw new IllegalArgumentException("unknown model variable '" + entry.getKey() + "'");
                }
                if (entry.getValue().length != v.size()) {
                    throw new IllegalArgumentException("variable '" + v.name() + "' has shape " + v.shape()
                            + " (" + v.size() + " values) but " + entry.getValue().length + " values were given");
                }
                TFloat32 t = TFloat32.tensorOf(v.shape(), DataBuffers.of(entry.getValue(), true, false));
                tensors.add(t);
                runner.feed(v.feed(), t).addTarget(v.load());
            }
            if (!runner.isEmpty()) {
                runner.run().close();
            }
        } finally {
            tensors.forEach(Tensor::close);
        }
    }

    private Map<String, float[]> read(List<StateVariable> variables) {
        Session.Runner runner = session.runner();
        variables.forEach(v -> runner.fetch(v.variable()));
        Map<String, float[]> values = new LinkedHashMap<>();
        try (Result result = runner.run()) {
            for (int i = 0; i < variables.size(); i++) {
                StateVariable v = variables.get(i);
                values.put(v.name(), toArray((TFloat32) result.get(i), v.size()));
            }
        }
        return values;
    }

    private static TFloat32 imagesTensor(float[] images, int count) {
        Shape shape = Shape.of(count, NetworkSpec.IMAGE_SIZE, NetworkSpec.IMAGE_SIZE, NetworkSpec.CHANNELS);
        if (images.length < shape.size()) {
            throw new IllegalArgumentException("image array holds " + images.length + " values, fewer than "
                    + count + " images of 32x32x3");
        }
        return TFloat32.tensorOf(shape, DataBuffers.of(images, true, false).narrow(shape.size()));
    }

    private static float[] toArray(TFloat32 tensor, int size) {
        float[] out = new float[size];
        tensor.copyTo(DataBuffers.of(out, false, false));
        return out;
    }

    @Override
    public void close() {
        session.close();
        graph.close();
    }
}

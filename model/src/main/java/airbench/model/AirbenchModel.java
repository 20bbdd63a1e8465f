package airbench.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Op;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.proto.RewriterConfig;
import org.tensorflow.proto.RunMetadata;
import org.tensorflow.proto.RunOptions;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * A built training graph and the session that runs it: the only place where
 * Java arrays become tensors. Training code calls {@link #trainStep}; evaluation
 * calls {@link #logits}; checkpoints use {@link #state} and {@link #loadState}.
 *
 * <p>With {@link Compilation#XLA} the graph is built as usual, its {@code GraphDef} is
 * marked for XLA ({@link XlaClustering}) and imported into a fresh graph, which the session
 * runs. Feeds, fetches and targets are therefore addressed by operation name and output
 * index, which are the same in both graphs. The first run of each kind (training step with the
 * whitening bias trained or frozen, each with or without Lookahead; logits) is traced and logs the clusters TensorFlow compiled
 * and their compile time; the second logs first-run minus second-run time.
 *
 * <p>With a {@link ProxyFilterSpec} (recipe 96faster) the graph also holds the proxy network that
 * picks the examples the main network trains on ({@link ProxyFilterGraph}), and a step is
 * {@link #trainFilteredStep}: one {@code Session.run} for both networks. Its state (the proxy's
 * variables and momentum buffers, named {@code proxy/...}) is part of {@link #state()}, not of
 * {@link #networkState()}: what is evaluated and exported is the main network alone.
 */
public final class AirbenchModel implements AutoCloseable {
    private static final Logger LOG = LogManager.getLogger(AirbenchModel.class);

    /** Summed loss and number of correct arg-max predictions over one training batch. */
    public record StepResult(double lossSum, int correct) {}

    /**
     * A training step run with TensorFlow's full trace.
     *
     * @param metadata   the run's step statistics (one entry per executed node and device) and the graphs it ran
     * @param wallMillis the {@code Session.run}'s wall time, tracing included
     */
    public record TracedStep(StepResult result, RunMetadata metadata, double wallMillis) {}

    /** An evaluation pass ({@link #logits}) run with TensorFlow's full trace; as {@link TracedStep}. */
    public record TracedLogits(float[] logits, RunMetadata metadata, double wallMillis) {}

    /**
     * One step of the filtered training.
     *
     * @param main             the main network's step on the kept examples
     * @param selected         batch positions of the kept examples, ascending
     * @param proxyLossSum     the proxy's loss summed over the whole batch (before its step, if it took one)
     * @param proxyKeptLossSum the same over the kept examples
     */
    public record FilteredStepResult(StepResult main, int[] selected, double proxyLossSum, double proxyKeptLossSum) {}

    /** The variables {@link #initialize} sets from the data or a generator, per network. */
    private record InitialState(StateVariable whitenKernel, List<StateVariable> blockConvs,
                                List<StateVariable> firstConvs, StateVariable head,
                                List<StateVariable> runningStats, NetworkSpec spec) {
        static InitialState of(AirbenchNetwork network) {
            return new InitialState(network.whitenKernel(), network.blockConvs(), network.firstBlockConvs(),
                    network.head(), network.runningStats(), network.spec());
        }
    }

    /** The ports of the proxy filter's step. */
    private record FilterPorts(ProxyFilterSpec spec, Port images, Port labels, Port selected, Port proxyLossSum,
                               Port proxyKeptLossSum, Port proxyObserve, Port proxyStep) {}

    /**
     * A graph output or operation addressed by name, so that the same code runs the graph as
     * built and the XLA-marked copy imported from its {@code GraphDef} (same names, other objects).
     */
    private record Port(String op, int index) {
        static Port of(Operand<?> operand) {
            Output<?> output = operand.asOutput();
            return new Port(output.op().name(), output.index());
        }

        static Port of(Op op) {
            return new Port(op.op().name(), 0);
        }
    }

    /** The feed, load and read ports of one state variable. */
    private record VariablePorts(StateVariable variable, Port value, Port feed, Port load) {}

    /** The session runs that are instrumented on first use when compiled (see {@link #run}). */
    private enum RunKind {
        TRAIN_STEP, TRAIN_STEP_WITH_LOOKAHEAD, TRAIN_STEP_FROZEN_WHITENING, TRAIN_STEP_FROZEN_WHITENING_WITH_LOOKAHEAD,
        LOGITS;

        String label() {
            return name().toLowerCase(Locale.ROOT).replace('_', ' ');
        }

        /** The training step with the whitening bias trained or frozen, with or without the Lookahead blend. */
        static RunKind step(boolean trainWhitenBias, boolean lookahead) {
            if (lookahead) {
                return trainWhitenBias ? TRAIN_STEP_WITH_LOOKAHEAD : TRAIN_STEP_FROZEN_WHITENING_WITH_LOOKAHEAD;
            }
            return trainWhitenBias ? TRAIN_STEP : TRAIN_STEP_FROZEN_WHITENING;
        }
    }

    private final Graph graph;
    private final Session session;
    private final NetworkSpec spec;
    private final Compilation compilation;
    private final int markedNodes;
    private final List<StateVariable> allState;
    private final List<StateVariable> networkVariables;
    // Java-side descriptions (name, shape) used by initialize(); valid after the built graph is closed.
    private final InitialState initialState;
    /** The proxy's, with a filter; else null. */
    private final InitialState proxyInitialState;
    private final List<TrainingGraph.Slow> slowCopies;
    private final Map<String, VariablePorts> stateByName = new LinkedHashMap<>();
    private final Port images;
    private final Port labels;
    /** The fed target distributions of a loss with soft targets (CutMix); else null. */
    private final Port targets;
    private final Port lrMultiplier;
    private final Port whitenBiasLrMultiplier;
    private final Port lookaheadAlpha;
    /** The Muon renormalization flag of a graph that renormalizes at some steps only; else null. */
    private final Port renormalizeFilters;
    private final Port lossSum;
    private final Port correctCount;
    private final Port trainStep;
    private final Port trainStepWithLookahead;
    private final Port trainStepFrozenWhitening;
    private final Port trainStepFrozenWhiteningWithLookahead;
    private final Port lookahead;
    private final Port evalImages;
    private final Port evalLogits;
    /** With a proxy filter; else null. */
    private final FilterPorts filter;
    /** Per compiled run kind (by label): milliseconds of its first run (for the compile-cost log line of the second). */
    private final Map<String, Double> firstRunMillis = new LinkedHashMap<>();
    private final Set<String> reported = new HashSet<>();
    private final Map<String, XlaRunReport> compileReports = new LinkedHashMap<>();

    /**
     * The plain TensorFlow model ({@link Compilation#NONE}).
     *
     * @param threads intra-op threads (inter-op is 1; measured best on a 2-core CPU), 0 for TensorFlow's default
     */
    public AirbenchModel(NetworkSpec spec, Precision precision, TrainingOptimizer optimizer, int threads) {
        this(spec, precision, optimizer, threads, Compilation.NONE);
    }

    /**
     * @param threads     intra-op threads (inter-op is 1; measured best on a 2-core CPU), 0 for TensorFlow's default
     * @param compilation {@link Compilation#XLA} compiles the nodes {@link XlaClustering} chooses
     */
    public AirbenchModel(NetworkSpec spec, Precision precision, TrainingOptimizer optimizer, int threads,
                         Compilation compilation) {
        this(spec, precision, optimizer, threads, compilation, XlaClustering.DEFAULT);
    }

    /**
     * With a proxy filter (recipe 96faster): the proxy picks the examples of each batch the network
     * trains on ({@link #trainFilteredStep}); null for the plain model.
     */
    public AirbenchModel(NetworkSpec spec, Precision precision, TrainingOptimizer optimizer, int threads,
                         Compilation compilation, ProxyFilterSpec filter) {
        this(spec, precision, optimizer, LossSpec.AIRBENCH, threads, compilation, XlaClustering.DEFAULT, filter);
    }

    /**
     * The model of a recipe: its network, optimizer and loss, with a proxy filter or null (the constructors
     * without a loss take airbench's, {@link LossSpec#AIRBENCH}).
     */
    public AirbenchModel(NetworkSpec spec, Precision precision, TrainingOptimizer optimizer, LossSpec loss,
                         int threads, Compilation compilation, ProxyFilterSpec filter) {
        this(spec, precision, optimizer, loss, threads, compilation, XlaClustering.DEFAULT, filter);
    }

    /** With another XLA selection than the default (tests and measurements of alternatives). */
    AirbenchModel(NetworkSpec spec, Precision precision, TrainingOptimizer optimizer, int threads,
                  Compilation compilation, XlaClustering.Selection selection) {
        this(spec, precision, optimizer, LossSpec.AIRBENCH, threads, compilation, selection, null);
    }

    private AirbenchModel(NetworkSpec spec, Precision precision, TrainingOptimizer optimizer, LossSpec loss,
                          int threads, Compilation compilation, XlaClustering.Selection selection,
                          ProxyFilterSpec filterSpec) {
        TensorFlowRuntime.ensureConfigured();
        this.spec = spec;
        this.compilation = compilation;
        Graph built = new Graph();
        Graph runnable = built;
        try {
            TrainingGraph training;
            if (filterSpec == null) {
                training = new TrainingGraph(built, spec, precision, optimizer, loss);
                allState = training.allState();
                proxyInitialState = null;
                filter = null;
            } else {
                ProxyFilterGraph filtered = new ProxyFilterGraph(built, spec, precision, optimizer, loss, filterSpec);
                training = filtered.main;
                allState = new ArrayList<>(training.allState());
                allState.addAll(filtered.proxyState());
                proxyInitialState = InitialState.of(filtered.proxy);
                filter = new FilterPorts(filterSpec, Port.of(filtered.images), Port.of(filtered.labels),
                        Port.of(filtered.selected), Port.of(filtered.proxyLossSum), Port.of(filtered.proxyKeptLossSum),
                        Port.of(filtered.proxyObserve), Port.of(filtered.proxyStep));
                selection = ProxyFilterGraph.xlaSelection(selection);
            }
            networkVariables = training.network.variables();
            initialState = InitialState.of(training.network);
            slowCopies = List.copyOf(training.slowCopies);
            for (StateVariable v : allState) {
                stateByName.put(v.name(), new VariablePorts(v, Port.of(v.variable()), Port.of(v.feed()), Port.of(v.load())));
            }
            images = Port.of(training.images);
            labels = Port.of(training.labels);
            targets = training.targets == null ? null : Port.of(training.targets);
            lrMultiplier = Port.of(training.lrMultiplier);
            whitenBiasLrMultiplier = Port.of(training.whitenBiasLrMultiplier);
            lookaheadAlpha = Port.of(training.lookaheadAlpha);
            renormalizeFilters = training.renormalizeFilters == null ? null : Port.of(training.renormalizeFilters);
            lossSum = Port.of(training.lossSum);
            correctCount = Port.of(training.correctCount);
            trainStep = Port.of(training.trainStep);
            trainStepWithLookahead = Port.of(training.trainStepWithLookahead);
            trainStepFrozenWhitening = Port.of(training.trainStepFrozenWhitening);
            trainStepFrozenWhiteningWithLookahead = Port.of(training.trainStepFrozenWhiteningWithLookahead);
            lookahead = Port.of(training.lookahead);
            evalImages = Port.of(training.evalImages);
            evalLogits = Port.of(training.evalLogits);
            if (compilation == Compilation.XLA) {
                XlaClustering.Marked marked = XlaClustering.mark(built, selection);
                markedNodes = marked.markedNodes();
                runnable = new Graph();
                runnable.importGraphDef(marked.graphDef());
                built.close();
                LOG.info("XLA: marked {} of {} graph nodes for compilation ({}=true, {}='{}'); by type: {}",
                        markedNodes, marked.graphDef().getNodeCount(), XlaClustering.COMPILE_ATTR,
                        XlaClustering.SCOPE_ATTR, XlaClustering.SCOPE, marked.markedByType());
            } else {
                markedNodes = 0;
            }
            ConfigProto.Builder config = ConfigProto.newBuilder();
            if (threads > 0) {
                config.setIntraOpParallelismThreads(threads).setInterOpParallelismThreads(1);
            }
            if (compilation == Compilation.XLA) {
                // Grappler runs before XLA clustering; its arithmetic optimizer would merge marked chains
                // (the Square -> Neg -> Exp of erf's gradient) into _UnaryOpsComposition nodes that XLA
                // cannot compile, cutting each GELU-gradient cluster in two (measured: 1.15 -> 1.17x).
                config.getGraphOptionsBuilder().getRewriteOptionsBuilder()
                        .setArithmeticOptimization(RewriterConfig.Toggle.OFF);
            }
            session = new Session(runnable, config.build());
        } catch (RuntimeException e) {
            runnable.close();
            if (runnable != built) {
                built.close();
            }
            throw e;
        }
        graph = runnable;
    }

    public Compilation compilation() {
        return compilation;
    }

    /** Number of graph nodes marked for XLA (0 without compilation). */
    public int markedNodes() {
        return markedNodes;
    }

    /**
     * With XLA: what TensorFlow reported for the first run of each kind so far ("train step",
     * "train step with lookahead", "train step frozen whitening", ..., "logits"): clusters compiled and their compile nodes' time.
     * Empty without compilation.
     */
    public Map<String, XlaRunReport> compileReports() {
        return Collections.unmodifiableMap(new LinkedHashMap<>(compileReports));
    }

    public NetworkSpec spec() {
        return spec;
    }

    /**
     * Sets the starting point of a run: the given whitening filters, zero whitening bias,
     * fan-in uniform block convs with their identity part (each block's first conv as the network's
     * {@link NetworkSpec#firstConvIdentity} says) and head drawn from {@code seed} (the head
     * rescaled to standard deviation 1 if the network's {@link HeadScale} says so),
     * zero BatchNorm shifts, running mean 0 and variance 1, zero momentum, and
     * Lookahead slow copies (if any) equal to the starting weights. With a proxy filter the proxy
     * starts the same way, from the same whitening filters.
     */
    public void initialize(float[] whitenKernel, long seed) {
        Map<String, float[]> values = new LinkedHashMap<>();
        SplittableRandom random = new SplittableRandom(seed);
        initialValues(initialState, whitenKernel, random, values);
        if (proxyInitialState != null) {
            // The proxy's own whitening filters come from the same images, so they are the same values.
            // Its draws continue the main network's generator: the main network starts as without a proxy.
            initialValues(proxyInitialState, whitenKernel, random, values);
        }
        for (StateVariable v : allState) {
            values.putIfAbsent(v.name(), new float[v.size()]);
        }
        for (TrainingGraph.Slow s : slowCopies) {
            values.put(s.slow().name(), values.get(s.fast().name()));
        }
        loadState(values);
    }

    /** The whitening filters, the random block convs and head, and the running statistics of one network. */
    private static void initialValues(InitialState network, float[] whitenKernel, SplittableRandom random,
                                      Map<String, float[]> values) {
        values.put(network.whitenKernel().name(), whitenKernel);
        for (StateVariable conv : network.blockConvs()) {
            int in = (int) conv.shape().get(2);
            int out = (int) conv.shape().get(3);
            IdentityInit identity = network.firstConvs().contains(conv) ? network.spec().firstConvIdentity()
                    : IdentityInit.REPLACE;
            values.put(conv.name(), ParameterInit.blockConv(in, out, identity, random));
        }
        StateVariable head = network.head();
        values.put(head.name(), ParameterInit.head((int) head.shape().get(0), (int) head.shape().get(1),
                network.spec().head(), random));
        for (StateVariable stat : network.runningStats()) {
            float[] initial = new float[stat.size()];
            if (stat.name().endsWith("variance")) {
                Arrays.fill(initial, 1f);
            }
            values.put(stat.name(), initial);
        }
    }

    /**
     * {@link #trainStep(float[], int[], int, double, double, boolean, Double)} with the whitening bias on
     * the same schedule as everything else (airbench94/95/96).
     */
    public StepResult trainStep(float[] images, int[] labels, int count, double lrMultiplier,
                                boolean trainWhitenBias, Double lookaheadAlpha) {
        return trainStep(images, labels, count, lrMultiplier, lrMultiplier, trainWhitenBias, lookaheadAlpha);
    }

    /**
     * One optimizer step on a batch of {@code count} normalized NHWC images. With a
     * {@code lookaheadAlpha} the Lookahead blend runs in the same {@code Session.run},
     * after the update. Without {@code trainWhitenBias} the whitening bias is frozen: the step
     * neither updates nor decays it, and its gradient is not computed.
     *
     * @param lrMultiplier           the schedule's multiplier of every group but the whitening bias
     * @param whitenBiasLrMultiplier the whitening bias's multiplier (unused when it is frozen)
     */
    public StepResult trainStep(float[] images, int[] labels, int count, double lrMultiplier,
                                double whitenBiasLrMultiplier, boolean trainWhitenBias, Double lookaheadAlpha) {
        return trainStep(images, labels, null, count, lrMultiplier, whitenBiasLrMultiplier, trainWhitenBias,
                lookaheadAlpha);
    }

    /**
     * {@link #trainStep(float[], int[], int, double, double, boolean, Double)} with the batch's target
     * distributions, {@code count x classes} values before label smoothing, for a model whose loss takes soft
     * targets ({@link LossSpec#softTargets}, CutMix); {@code targets} must be null for any other model. The labels
     * still count the correct predictions.
     *
     * @throws IllegalArgumentException if targets are given to a model without soft targets, or missing for one with
     */
    public StepResult trainStep(float[] images, int[] labels, float[] targets, int count, double lrMultiplier,
                                double whitenBiasLrMultiplier, boolean trainWhitenBias, Double lookaheadAlpha) {
        return trainStep(images, labels, targets, count, lrMultiplier, whitenBiasLrMultiplier, trainWhitenBias,
                lookaheadAlpha, true);
    }

    /**
     * {@link #trainStep(float[], int[], float[], int, double, double, boolean, Double)} with the step's Muon
     * renormalization flag (docs/METHOD.md section 14): whether the filters are renormalized before this step's
     * update. Only a model whose Muon renormalizes at some steps only takes {@code false}.
     *
     * @throws IllegalArgumentException if {@code renormalizeFilters} is false for a model without that input
     */
    public StepResult trainStep(float[] images, int[] labels, float[] targets, int count, double lrMultiplier,
                                double whitenBiasLrMultiplier, boolean trainWhitenBias, Double lookaheadAlpha,
                                boolean renormalizeFilters) {
        return trainStep(images, labels, targets, count, lrMultiplier, whitenBiasLrMultiplier, trainWhitenBias,
                lookaheadAlpha, renormalizeFilters, null).result();
    }

    /**
     * The training step of {@link #trainStep(float[], int[], int, double, boolean, Double)} (no Lookahead blend),
     * run with TensorFlow's full trace and the executed graphs in the metadata: what a profile of the step reads.
     * Tracing costs time of its own, so the wall time is not a step time; run a few untraced steps first, or
     * the trace holds graph optimization and XLA compilation.
     */
    public TracedStep tracedTrainStep(float[] images, int[] labels, int count, double lrMultiplier,
                                      boolean trainWhitenBias) {
        RunOptions trace = RunOptions.newBuilder().setTraceLevel(RunOptions.TraceLevel.FULL_TRACE)
                .setOutputPartitionGraphs(true).build();
        long start = System.nanoTime();
        Ran ran = trainStep(images, labels, null, count, lrMultiplier, lrMultiplier, trainWhitenBias, null, true, trace);
        return new TracedStep(ran.result(), ran.metadata(), (System.nanoTime() - start) / 1e6);
    }

    /**
     * The convolutions of the graph this model runs (forward and both gradients, of the training step and of the
     * inference pass), with the shapes their FLOPs follow from.
     */
    public List<ConvolutionCost> convolutions() {
        return ConvolutionCost.inGraph(graph);
    }

    /** A step's result, and its trace when one was asked for (else null). */
    private record Ran(StepResult result, RunMetadata metadata) {}

    /** The training step; with {@code trace} (else null) a traced run outside the first-run XLA reports. */
    private Ran trainStep(float[] images, int[] labels, float[] targets, int count, double lrMultiplier,
                          double whitenBiasLrMultiplier, boolean trainWhitenBias, Double lookaheadAlpha,
                          boolean renormalizeFilters, RunOptions trace) {
        if (!renormalizeFilters && this.renormalizeFilters == null) {
            throw new IllegalArgumentException("this model's optimizer renormalizes at every step (or has no Muon):"
                    + " it cannot skip a renormalization");
        }
        if (filter != null) {
            throw new IllegalStateException("this model filters its batches through a proxy network;"
                    + " train it with trainFilteredStep");
        }
        if ((targets == null) != (this.targets == null)) {
            throw new IllegalArgumentException(this.targets == null
                    ? "this model's loss takes the labels, not fed targets: give targets only to a model with soft"
                    + " targets (LossSpec.softTargets, for CutMix)"
                    : "this model's loss takes soft targets (CutMix): give the batch's targets with its labels");
        }
        int classes = spec.numClasses();
        if (targets != null && targets.length < count * classes) {
            throw new IllegalArgumentException(targets.length + " target values are fewer than " + count
                    + " distributions over " + classes + " classes");
        }
        try (TFloat32 x = imagesTensor(images, count);
             TInt32 y = TInt32.tensorOf(Shape.of(count), DataBuffers.of(labels, true, false));
             TFloat32 t = targets == null ? null : TFloat32.tensorOf(Shape.of(count, classes),
                     DataBuffers.of(targets, true, false).narrow((long) count * classes));
             TFloat32 s = TFloat32.scalarOf((float) lrMultiplier);
             TFloat32 sWhiten = TFloat32.scalarOf((float) whitenBiasLrMultiplier);
             TFloat32 alpha = TFloat32.scalarOf(lookaheadAlpha == null ? 0f : lookaheadAlpha.floatValue());
             TBool renormalize = TBool.scalarOf(renormalizeFilters)) {
            Session.Runner runner = session.runner();
            feed(runner, this.images, x);
            feed(runner, this.labels, y);
            if (t != null) {
                feed(runner, this.targets, t);
            }
            if (this.renormalizeFilters != null) {
                feed(runner, this.renormalizeFilters, renormalize);
            }
            feed(runner, this.lrMultiplier, s);
            feed(runner, this.whitenBiasLrMultiplier, sWhiten);
            fetch(runner, lossSum);
            fetch(runner, correctCount);
            RunKind kind;
            if (lookaheadAlpha != null) {
                feed(runner, this.lookaheadAlpha, alpha);
                kind = trainWhitenBias ? RunKind.TRAIN_STEP_WITH_LOOKAHEAD : RunKind.TRAIN_STEP_FROZEN_WHITENING_WITH_LOOKAHEAD;
            } else {
                kind = trainWhitenBias ? RunKind.TRAIN_STEP : RunKind.TRAIN_STEP_FROZEN_WHITENING;
            }
            runner.addTarget(target(kind).op());
            if (trace != null) {
                runner.setOptions(trace);
            }
            try (Result result = trace != null ? runner.runAndFetchMetadata() : run(runner, kind.label())) {
                float loss = ((TFloat32) result.get(0)).getFloat();
                float correct = ((TFloat32) result.get(1)).getFloat();
                return new Ran(new StepResult(loss, Math.round(correct)), result.getMetadata().orElse(null));
            }
        }
    }

    /**
     * One step of both networks of a filtered model, in one {@code Session.run}: the proxy's forward
     * pass (training mode) on the batch of {@code count} normalized NHWC images, the selection of the
     * {@link ProxyFilterSpec#keep} examples with its highest loss, the main network's optimizer step on
     * those (with the Lookahead blend if {@code lookaheadAlpha} is given, the whitening bias frozen
     * unless {@code trainWhitenBias}), and, if {@code proxyStep}, the proxy's optimizer step on their
     * summed loss. Both networks use {@code lrMultiplier}.
     *
     * @throws IllegalStateException    if the model has no proxy filter
     * @throws IllegalArgumentException if the batch holds fewer examples than the filter keeps
     */
    public FilteredStepResult trainFilteredStep(float[] images, int[] labels, int count, double lrMultiplier,
                                                double whitenBiasLrMultiplier, boolean trainWhitenBias,
                                                Double lookaheadAlpha, boolean proxyStep) {
        if (filter == null) {
            throw new IllegalStateException("this model has no proxy filter; train it with trainStep");
        }
        if (count < filter.spec().keep()) {
            throw new IllegalArgumentException("a batch of " + count + " examples is smaller than the "
                    + filter.spec().keep() + " the proxy filter keeps");
        }
        try (TFloat32 x = imagesTensor(images, count);
             TInt32 y = TInt32.tensorOf(Shape.of(count), DataBuffers.of(labels, true, false).narrow(count));
             TFloat32 s = TFloat32.scalarOf((float) lrMultiplier);
             TFloat32 sWhiten = TFloat32.scalarOf((float) whitenBiasLrMultiplier);
             TFloat32 alpha = TFloat32.scalarOf(lookaheadAlpha == null ? 0f : lookaheadAlpha.floatValue())) {
            Session.Runner runner = session.runner();
            feed(runner, filter.images(), x);
            feed(runner, filter.labels(), y);
            feed(runner, this.lrMultiplier, s);
            feed(runner, this.whitenBiasLrMultiplier, sWhiten);
            fetch(runner, lossSum);
            fetch(runner, correctCount);
            fetch(runner, filter.selected());
            fetch(runner, filter.proxyLossSum());
            fetch(runner, filter.proxyKeptLossSum());
            if (lookaheadAlpha != null) {
                feed(runner, this.lookaheadAlpha, alpha);
            }
            RunKind kind = RunKind.step(trainWhitenBias, lookaheadAlpha != null);
            runner.addTarget(target(kind).op());
            runner.addTarget((proxyStep ? filter.proxyStep() : filter.proxyObserve()).op());
            String label = "filtered " + kind.label() + (proxyStep ? " and proxy step" : " and proxy forward");
            try (Result result = run(runner, label)) {
                float loss = ((TFloat32) result.get(0)).getFloat();
                float correct = ((TFloat32) result.get(1)).getFloat();
                int[] selected = new int[filter.spec().keep()];
                ((TInt32) result.get(2)).copyTo(DataBuffers.of(selected, false, false));
                return new FilteredStepResult(new StepResult(loss, Math.round(correct)), selected,
                        ((TFloat32) result.get(3)).getFloat(), ((TFloat32) result.get(4)).getFloat());
            }
        }
    }

    private Port target(RunKind kind) {
        return switch (kind) {
            case TRAIN_STEP -> trainStep;
            case TRAIN_STEP_WITH_LOOKAHEAD -> trainStepWithLookahead;
            case TRAIN_STEP_FROZEN_WHITENING -> trainStepFrozenWhitening;
            case TRAIN_STEP_FROZEN_WHITENING_WITH_LOOKAHEAD -> trainStepFrozenWhiteningWithLookahead;
            case LOGITS -> throw new IllegalArgumentException("logits is not a training step");
        };
    }

    /**
     * Lookahead blend alone; {@code alpha = 1} copies the slow weights into the model (the end of training).
     * Without Lookahead (94muon) there are no slow copies and this changes nothing.
     */
    public void lookahead(double alpha) {
        try (TFloat32 a = TFloat32.scalarOf((float) alpha)) {
            Session.Runner runner = session.runner();
            feed(runner, lookaheadAlpha, a);
            runner.addTarget(lookahead.op()).run().close();
        }
    }

    /** Inference-mode logits (running BatchNorm statistics) of {@code count} normalized NHWC images. */
    public float[] logits(float[] images, int count) {
        try (TFloat32 x = imagesTensor(images, count)) {
            Session.Runner runner = session.runner();
            feed(runner, evalImages, x);
            fetch(runner, evalLogits);
            try (Result result = run(runner, RunKind.LOGITS.label())) {
                return toArray((TFloat32) result.get(0), count * spec().numClasses());
            }
        }
    }

    /**
     * {@link #logits} run with TensorFlow's full trace and the executed graphs in the metadata: what a profile of
     * the evaluation reads (as {@link #tracedTrainStep}, untraced runs first).
     */
    public TracedLogits tracedLogits(float[] images, int count) {
        RunOptions trace = RunOptions.newBuilder().setTraceLevel(RunOptions.TraceLevel.FULL_TRACE)
                .setOutputPartitionGraphs(true).build();
        long start = System.nanoTime();
        try (TFloat32 x = imagesTensor(images, count)) {
            Session.Runner runner = session.runner();
            feed(runner, evalImages, x);
            fetch(runner, evalLogits);
            runner.setOptions(trace);
            try (Result result = runner.runAndFetchMetadata()) {
                float[] logits = toArray((TFloat32) result.get(0), count * spec().numClasses());
                return new TracedLogits(logits, result.getMetadata().orElse(null), (System.nanoTime() - start) / 1e6);
            }
        }
    }

    /** Names and shapes of every variable, in a stable order. */
    public Map<String, Shape> stateShapes() {
        Map<String, Shape> shapes = new LinkedHashMap<>();
        stateByName.forEach((name, v) -> shapes.put(name, v.variable().shape()));
        return shapes;
    }

    /** Current values of every variable (network, momentum buffers, Lookahead copies). */
    public Map<String, float[]> state() {
        return read(allState);
    }

    /** Current values of the network's own variables: what an evaluated or exported model is. */
    public Map<String, float[]> networkState() {
        return read(networkVariables);
    }

    /** Sets variables by name; every name must exist and every array must have the variable's size. */
    public void loadState(Map<String, float[]> values) {
        Session.Runner runner = session.runner();
        List<Tensor> tensors = new java.util.ArrayList<>();
        try {
            for (Map.Entry<String, float[]> entry : values.entrySet()) {
                VariablePorts ports = stateByName.get(entry.getKey());
                if (ports == null) {
                    throw new IllegalArgumentException("unknown model variable '" + entry.getKey() + "'");
                }
                StateVariable v = ports.variable();
                if (entry.getValue().length != v.size()) {
                    throw new IllegalArgumentException("variable '" + v.name() + "' has shape " + v.shape()
                            + " (" + v.size() + " values) but " + entry.getValue().length + " values were given");
                }
                TFloat32 t = TFloat32.tensorOf(v.shape(), DataBuffers.of(entry.getValue(), true, false));
                tensors.add(t);
                feed(runner, ports.feed(), t);
                runner.addTarget(ports.load().op());
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
        variables.forEach(v -> fetch(runner, stateByName.get(v.name()).value()));
        Map<String, float[]> values = new LinkedHashMap<>();
        try (Result result = runner.run()) {
            for (int i = 0; i < variables.size(); i++) {
                StateVariable v = variables.get(i);
                values.put(v.name(), toArray((TFloat32) result.get(i), v.size()));
            }
        }
        return values;
    }

    private static void feed(Session.Runner runner, Port port, Tensor value) {
        runner.feed(port.op(), port.index(), value);
    }

    private static void fetch(Session.Runner runner, Port port) {
        runner.fetch(port.op(), port.index());
    }

    /**
     * Runs {@code runner}. Compiled, the first run of each kind asks TensorFlow for the graphs it
     * executed and for a trace, and logs how many XLA clusters it compiled (the {@code _XlaCompile}
     * nodes of the executed graphs) and how long their compile nodes ran (the trace's time of those
     * nodes, which includes compilation); the second run logs first-run time minus second-run time
     * as a cross-check, since TensorFlow may compile a cluster lazily.
     */
    private Result run(Session.Runner runner, String kind) {
        if (compilation == Compilation.NONE || reported.contains(kind)) {
            return runner.run();
        }
        long start = System.nanoTime();
        if (!firstRunMillis.containsKey(kind)) {
            runner.setOptions(RunOptions.newBuilder().setOutputPartitionGraphs(true)
                    .setTraceLevel(RunOptions.TraceLevel.SOFTWARE_TRACE).build());
            Result result = runner.runAndFetchMetadata();
            double millis = (System.nanoTime() - start) / 1e6;
            firstRunMillis.put(kind, millis);
            XlaRunReport report = XlaRunReport.of(result.getMetadata().orElse(null));
            compileReports.put(kind, report);
            LOG.info("XLA: first {} run compiled {} clusters; their _XlaCompile nodes ran {} ms "
                            + "(TensorFlow's trace of the run); whole run {} ms",
                    kind, report.clusters(), String.format(Locale.ROOT, "%.0f", report.compileMillis()),
                    String.format(Locale.ROOT, "%.0f", millis));
            return result;
        }
        Result result = runner.run();
        double millis = (System.nanoTime() - start) / 1e6;
        reported.add(kind);
        LOG.info("XLA: second {} run {} ms, first {} ms: about {} ms of one-time cost "
                        + "(first-run minus second-run wall time)",
                kind, String.format(Locale.ROOT, "%.0f", millis),
                String.format(Locale.ROOT, "%.0f", firstRunMillis.get(kind)),
                String.format(Locale.ROOT, "%.0f", firstRunMillis.get(kind) - millis));
        return result;
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

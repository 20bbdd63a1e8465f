package airbench.model;

import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * The whole training step as one graph (docs/METHOD.md sections 5 and 10): label-smoothed
 * summed cross-entropy, gradients, the update the recipe's {@link TrainingOptimizer} names for
 * each {@link ParameterGroup} (decoupled Nesterov SGD everywhere for airbench94/95/96; Muon for
 * the filters and SGD for the rest in 94muon), BatchNorm running statistics, and Lookahead if the
 * optimizer uses it (without it, the Lookahead ops below are plain no-ops). One
 * {@code Session.run} of {@link #trainStep} (or {@link #trainStepWithLookahead}
 * on every fifth step) is one optimizer step. The same graph holds an
 * inference forward pass over the same variables for evaluation.
 *
 * <p>A Muon that renormalizes the filters at some steps only (94hiverge, docs/METHOD.md section 14) reads
 * {@link #renormalizeFilters}, a boolean the trainer feeds per step from the schedule (true when not fed), so that
 * the same graph serves the steps with and without the renormalization.
 *
 * <p>Once the whitening bias is frozen (after its first epochs) the trainer runs
 * {@link #trainStepFrozenWhitening} instead: the same step without the whitening bias among
 * the trained variables, so TensorFlow no longer computes the gradient that only it needs (the
 * input gradient of the first block convolution at 31x31 and the whitening layer's GELU
 * gradient, about 4% of a step). Frozen means no update and no decay, which is what the full
 * step would do with a zero rate for that bias; every other variable gets the same update.
 */
public final class TrainingGraph {

    /** A trained variable with its momentum buffer, its group's update rule and that group's schedule multiplier. */
    record Trained(StateVariable parameter, StateVariable momentum, GroupRule rule, Operand<TFloat32> multiplier) {}

    /** A float state with its Lookahead slow copy. */
    record Slow(StateVariable fast, StateVariable slow) {}

    /**
     * A training batch computed inside the same graph instead of fed by Java: the examples a proxy
     * network selected ({@link ProxyFilterGraph}).
     */
    record InputBatch(Operand<TFloat32> images, Operand<TInt32> labels) {}

    /** Sub-scope (under "optimizer") of the step that runs once the whitening bias is frozen. */
    static final String FROZEN_WHITENING_SCOPE = "frozen_whitening";

    final AirbenchNetwork network;
    final TrainingOptimizer optimizer;
    final List<Trained> trained = new ArrayList<>();
    final List<Slow> slowCopies = new ArrayList<>();

    // Fed every step (or, with an InputBatch, computed in the graph).
    final Operand<TFloat32> images;
    final Operand<TInt32> labels;
    /**
     * With {@link LossSpec#softTargets}: each example's target distribution [N, classes] before label smoothing,
     * fed with the batch (CutMix's mixed labels); else null, and the loss takes the labels' one-hots.
     */
    final Placeholder<TFloat32> targets;
    /** The schedule's multiplier s of every group's learning rate but the whitening bias's. */
    final Placeholder<TFloat32> lrMultiplier;
    /**
     * The whitening bias's multiplier: the same value as {@link #lrMultiplier} for airbench94/95/96,
     * its own linear decay in 94muon (fed by the trainer from the schedule either way).
     */
    final Placeholder<TFloat32> whitenBiasLrMultiplier;
    /** Lookahead's a: slow = a * slow + (1 - a) * fast. */
    final Placeholder<TFloat32> lookaheadAlpha;
    /**
     * Whether this step's Muon update renormalizes the filters (docs/METHOD.md section 14), true unless fed: only
     * in a graph whose Muon renormalizes at some steps only; else null (no such input, the graph as before).
     */
    final Operand<TBool> renormalizeFilters;

    final Operand<TFloat32> lossSum;
    final Operand<TFloat32> correctCount;
    final Op trainStep;
    final Op trainStepWithLookahead;
    final Op trainStepFrozenWhitening;
    final Op trainStepFrozenWhiteningWithLookahead;
    final Op lookahead;

    final Placeholder<TFloat32> evalImages;
    final Operand<TFloat32> evalLogits;

    public TrainingGraph(Graph graph, NetworkSpec spec, Precision precision, TrainingOptimizer optimizer,
                         LossSpec loss) {
        this(Ops.create(graph), spec, precision, optimizer, loss, null);
    }

    /**
     * The training step on {@code batch}, a batch computed in the same graph, or on the placeholders
     * {@link #images} and {@link #labels} if it is null. {@code tf} is the graph's root scope.
     */
    TrainingGraph(Ops tf, NetworkSpec spec, Precision precision, TrainingOptimizer optimizer, LossSpec loss,
                  InputBatch batch) {
        this.optimizer = optimizer;
        StateVariable.Factory variables = new StateVariable.Factory(tf);
        this.network = new AirbenchNetwork(tf.withSubScope("net"), variables, spec, precision);
        Shape batchShape = Shape.of(-1, NetworkSpec.IMAGE_SIZE, NetworkSpec.IMAGE_SIZE, NetworkSpec.CHANNELS);

        Ops in = tf.withSubScope("input");
        if (batch == null) {
            images = in.withName("images").placeholder(TFloat32.class, Placeholder.shape(batchShape));
            labels = in.withName("labels").placeholder(TInt32.class, Placeholder.shape(Shape.of(-1)));
        } else {
            images = batch.images();
            labels = batch.labels();
        }
        lrMultiplier = in.withName("lr_multiplier").placeholder(TFloat32.class, Placeholder.shape(Shape.scalar()));
        whitenBiasLrMultiplier = in.withName("whiten_bias_lr_multiplier").placeholder(TFloat32.class,
                Placeholder.shape(Shape.scalar()));
        lookaheadAlpha = in.withName("lookahead_alpha").placeholder(TFloat32.class, Placeholder.shape(Shape.scalar()));
        renormalizeFilters = optimizer.rule(ParameterGroup.FILTERS) instanceof GroupRule.MuonFilters m
                && !m.renormalization().everyStep()
                ? in.withName("renormalize_filters").placeholderWithDefault(in.constant(true), Shape.scalar()) : null;

        if (loss.softTargets()) {
            if (batch != null) {
                throw new IllegalArgumentException("a batch computed in the graph has no fed targets; soft targets"
                        + " (CutMix) need the fed batch");
            }
            targets = in.withName("targets").placeholder(TFloat32.class,
                    Placeholder.shape(Shape.of(-1, spec.numClasses())));
        } else {
            targets = null;
        }

        AirbenchNetwork.Forward forward = network.forward(images, AirbenchNetwork.Mode.TRAINING);
        Ops lossScope = tf.withSubScope("loss");
        float smoothing = (float) loss.labelSmoothing();
        lossSum = targets == null
                ? smoothedCrossEntropySum(lossScope, forward.logits(), labels, spec.numClasses(), smoothing)
                : softCrossEntropySum(lossScope, forward.logits(), targets, spec.numClasses(), smoothing);
        correctCount = correct(lossScope, forward.logits(), labels);
        // What the optimizer descends: the summed loss, or (hlb) that sum times the loss's scale.
        Operand<TFloat32> objective = loss.scale() == 1 ? lossSum
                : lossScope.withName("scaled").math.mul(lossSum, lossScope.constant((float) loss.scale()));

        // Order (whitening bias, filters, head, shifts) as it always was: graph names and checkpoints stay the same.
        addGroup(variables, ParameterGroup.WHITEN_BIAS, List.of(network.whitenBias()), whitenBiasLrMultiplier);
        addGroup(variables, ParameterGroup.FILTERS, network.blockConvs(), lrMultiplier);
        addGroup(variables, ParameterGroup.HEAD, List.of(network.head()), lrMultiplier);
        addGroup(variables, ParameterGroup.NORM_SHIFTS, network.normShifts(), lrMultiplier);
        Ops optimizerScope = tf.withSubScope("optimizer");
        trainStep = updateStep(optimizerScope, objective, trained, forward.runningStatUpdates(), renormalizeFilters);
        List<Trained> withoutWhitenBias = trained.stream().filter(t -> t.parameter() != network.whitenBias()).toList();
        trainStepFrozenWhitening = updateStep(optimizerScope.withSubScope(FROZEN_WHITENING_SCOPE), objective,
                withoutWhitenBias, forward.runningStatUpdates(), renormalizeFilters);

        Ops la = tf.withSubScope("lookahead");
        if (optimizer.usesLookahead()) {
            for (Trained t : trained) {
                slowCopies.add(new Slow(t.parameter(), variables.create("lookahead/" + t.parameter().name(),
                        t.parameter().shape())));
            }
            for (StateVariable stat : network.runningStats()) {
                slowCopies.add(new Slow(stat, variables.create("lookahead/" + stat.name(), stat.shape())));
            }
        }
        lookahead = lookahead(la.withSubScope("update"), null);
        trainStepWithLookahead = lookahead(la.withSubScope("after_step"), trainStep);
        trainStepFrozenWhiteningWithLookahead = lookahead(la.withSubScope("after_frozen_whitening_step"),
                trainStepFrozenWhitening);

        Ops eval = tf.withSubScope("eval");
        evalImages = eval.withName("images").placeholder(TFloat32.class, Placeholder.shape(batchShape));
        evalLogits = network.forward(evalImages, AirbenchNetwork.Mode.INFERENCE).logits();
    }

    /** Softmax cross-entropy against {@code (1 - ls) * onehot + ls / classes}, summed over the batch. */
    static Operand<TFloat32> smoothedCrossEntropySum(Ops tf, Operand<TFloat32> logits, Operand<TInt32> labels,
                                                     int classes, float smoothing) {
        Operand<TFloat32> perExample = smoothedCrossEntropy(tf, logits, labels, classes, smoothing);
        return tf.withName("sum").reduceSum(perExample, tf.constant(0));
    }

    /**
     * Softmax cross-entropy against fed target distributions [N, classes], label-smoothed as the one-hots are:
     * {@code (1 - ls) * t + ls / classes} (PyTorch's CrossEntropyLoss with probability targets), summed over the
     * batch.
     */
    static Operand<TFloat32> softCrossEntropySum(Ops tf, Operand<TFloat32> logits, Operand<TFloat32> targets,
                                                 int classes, float smoothing) {
        Operand<TFloat32> smoothed = tf.math.add(tf.math.mul(targets, tf.constant(1 - smoothing)),
                tf.constant(smoothing / classes));
        Operand<TFloat32> perExample = tf.nn.softmaxCrossEntropyWithLogits(logits, smoothed).loss();
        return tf.withName("sum").reduceSum(perExample, tf.constant(0));
    }

    /** The same loss per example, [N]. */
    static Operand<TFloat32> smoothedCrossEntropy(Ops tf, Operand<TFloat32> logits, Operand<TInt32> labels,
                                                  int classes, float smoothing) {
        Operand<TFloat32> targets = tf.oneHot(labels, tf.constant(classes),
                tf.constant(1 - smoothing + smoothing / classes), tf.constant(smoothing / classes));
        return tf.nn.softmaxCrossEntropyWithLogits(logits, targets).loss();
    }

    private static Operand<TFloat32> correct(Ops tf, Operand<TFloat32> logits, Operand<TInt32> labels) {
        Operand<TInt32> predicted = tf.math.argMax(logits, tf.constant(1), TInt32.class);
        Operand<TFloat32> hits = tf.dtypes.cast(tf.math.equal(predicted, labels), TFloat32.class);
        return tf.withName("correct").reduceSum(hits, tf.constant(0));
    }

    private void addGroup(StateVariable.Factory variables, ParameterGroup group, List<StateVariable> parameters,
                          Operand<TFloat32> multiplier) {
        GroupRule rule = optimizer.rule(group);
        for (StateVariable p : parameters) {
            trained.add(new Trained(p, buffer(variables, p), rule, multiplier));
        }
    }

    static StateVariable buffer(StateVariable.Factory variables, StateVariable parameter) {
        return variables.create("momentum/" + parameter.name(), parameter.shape());
    }

    /**
     * One update per variable of {@code trained} on the gradient of {@code loss}, by its group's rule.
     * The updates wait for every gradient so that no backward op reads a weight that was already updated.
     */
    static Op updateStep(Ops tf, Operand<TFloat32> loss, List<Trained> trained, List<Op> runningStatUpdates) {
        return updateStep(tf, loss, trained, runningStatUpdates, null);
    }

    /** The same with the step's renormalization flag for the Muon filters (null: renormalized at every step). */
    static Op updateStep(Ops tf, Operand<TFloat32> loss, List<Trained> trained, List<Op> runningStatUpdates,
                         Operand<TBool> renormalizeFilters) {
        List<Operand<?>> parameters = trained.stream().<Operand<?>>map(t -> t.parameter().variable()).toList();
        List<Operand<?>> gradients = new ArrayList<>();
        tf.gradients(loss, parameters).forEach(gradients::add);
        List<Op> gradientsReady = new ArrayList<>();
        for (Operand<?> g : gradients) {
            gradientsReady.add(tf.identity(g));
        }
        Ops after = tf.withControlDependencies(gradientsReady);
        List<Op> updates = new ArrayList<>(runningStatUpdates);
        for (int i = 0; i < trained.size(); i++) {
            Trained t = trained.get(i);
            @SuppressWarnings("unchecked")
            Operand<TFloat32> g = (Operand<TFloat32>) gradients.get(i);
            updates.add(renormalizeFilters == null
                    ? t.rule().update(after, t.parameter().variable(), t.momentum().variable(), g, t.multiplier())
                    : t.rule().update(after, t.parameter().variable(), t.momentum().variable(), g, t.multiplier(),
                    renormalizeFilters));
        }
        return tf.withControlDependencies(updates).withName("step").noOp();
    }

    /** {@code slow = a slow + (1 - a) fast; fast = slow} for every float state, after {@code after} if given. */
    private Op lookahead(Ops tf, Op after) {
        Ops scope = after == null ? tf : tf.withControlDependencies(List.of(after));
        List<Op> copies = new ArrayList<>();
        Operand<TFloat32> keep = lookaheadAlpha;
        Operand<TFloat32> take = scope.math.sub(scope.constant(1f), lookaheadAlpha);
        for (Slow s : slowCopies) {
            Operand<TFloat32> blended = scope.math.add(scope.math.mul(s.slow().variable(), keep),
                    scope.math.mul(s.fast().variable(), take));
            Operand<TFloat32> newSlow = scope.assign(s.slow().variable(), blended);
            copies.add(scope.assign(s.fast().variable(), newSlow));
        }
        return scope.withControlDependencies(copies).noOp();
    }

    /** Every variable the graph holds: the network's, momentum buffers and slow copies (if any). */
    List<StateVariable> allState() {
        List<StateVariable> all = new ArrayList<>(network.variables());
        trained.forEach(t -> all.add(t.momentum()));
        slowCopies.forEach(s -> all.add(s.slow()));
        return all;
    }
}

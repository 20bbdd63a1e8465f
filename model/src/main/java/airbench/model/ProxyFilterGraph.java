package airbench.model;

import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.nn.TopK;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * The training step of recipe 96faster (docs/METHOD.md section 11) as one graph, so that one
 * {@code Session.run} is one step of both networks:
 * <pre>
 *   images [N, 32, 32, 3], labels [N]                  the whole batch, fed
 *   proxy forward, training mode                       its BatchNorm running statistics move
 *   loss_i = label-smoothed cross-entropy, per example  [N]
 *   selected = the keep examples of highest loss_i,     [keep], indices in batch order
 *   main step ({@link TrainingGraph}) on images[selected], labels[selected]
 *   proxy step (only when asked): SGD on sum of loss_i over selected
 * </pre>
 * The proxy's update reads the batch statistics of the whole batch, as its forward pass computed
 * them; only the loss is restricted to the kept examples. The selection itself carries no gradient
 * (it is not differentiable, and TensorFlow's C++ gradient registry has no TopK gradient): the
 * losses pass through {@code StopGradient} before {@code TopK}, and the kept losses are gathered
 * from the differentiable ones.
 *
 * <p>The main network's part is exactly {@link TrainingGraph}, built on the selected examples
 * instead of placeholders: same variable names (its checkpoints and exports are a plain
 * airbench96's), same update and Lookahead ops. The proxy's variables are named {@code proxy/...}.
 * The proxy uses the main step's learning-rate multiplier, so both follow one schedule.
 */
final class ProxyFilterGraph {
    /** Scope and variable-name prefix of the proxy network. */
    static final String PROXY_SCOPE = "proxy";
    /** Scope of the selection and the gathered batch. */
    static final String FILTER_SCOPE = "filter";

    final TrainingGraph main;
    final AirbenchNetwork proxy;
    /** The proxy's trained variables with their momentum buffers (whitening bias excluded: it never trains). */
    final List<TrainingGraph.Trained> proxyTrained = new ArrayList<>();

    final Placeholder<TFloat32> images;
    final Placeholder<TInt32> labels;
    /** Batch positions of the kept examples, ascending. */
    final Operand<TInt32> selected;
    /** The proxy's loss summed over the whole batch (for the log). */
    final Operand<TFloat32> proxyLossSum;
    /** The proxy's loss summed over the kept examples: what its optimizer step minimizes. */
    final Operand<TFloat32> proxyKeptLossSum;
    /** The proxy's running-statistics updates alone (steps without a proxy step). */
    final Op proxyObserve;
    /** The running-statistics updates and the proxy's optimizer step. */
    final Op proxyStep;

    ProxyFilterGraph(Graph graph, NetworkSpec mainSpec, Precision precision, TrainingOptimizer optimizer,
                     LossSpec lossSpec, ProxyFilterSpec filter) {
        Ops tf = Ops.create(graph);
        Ops proxyScope = tf.withSubScope(PROXY_SCOPE);
        StateVariable.Factory proxyVariables = new StateVariable.Factory(proxyScope, PROXY_SCOPE + "/");
        proxy = new AirbenchNetwork(proxyScope.withSubScope("net"), proxyVariables, filter.proxy(), precision);

        Ops in = tf.withSubScope(FILTER_SCOPE);
        Shape batch = Shape.of(-1, NetworkSpec.IMAGE_SIZE, NetworkSpec.IMAGE_SIZE, NetworkSpec.CHANNELS);
        images = in.withName("images").placeholder(TFloat32.class, Placeholder.shape(batch));
        labels = in.withName("labels").placeholder(TInt32.class, Placeholder.shape(Shape.of(-1)));

        AirbenchNetwork.Forward forward = proxy.forward(images, AirbenchNetwork.Mode.TRAINING);
        Ops loss = proxyScope.withSubScope("loss");
        Operand<TFloat32> perExample = TrainingGraph.smoothedCrossEntropy(loss, forward.logits(), labels,
                filter.proxy().numClasses(), (float) lossSpec.labelSmoothing());                   // [N]
        proxyLossSum = loss.withName("sum").reduceSum(perExample, loss.constant(0));

        Operand<TInt32> keep = in.constant(filter.keep());
        TopK<TFloat32, TInt32> hardest = in.nn.topK(in.stopGradient(perExample), keep, TInt32.class);  // by loss
        // The reference keeps the batch's order (inputs[mask]): sort the positions ascending, as the
        // largest of their negatives.
        TopK<TInt32, TInt32> ascending = in.nn.topK(in.math.neg(hardest.indices()), keep, TInt32.class);
        selected = in.withName("selected").math.neg(ascending.values());                             // [keep]
        proxyKeptLossSum = loss.withName("kept_sum").reduceSum(loss.gather(perExample, selected, loss.constant(0)),
                loss.constant(0));

        Operand<TFloat32> keptImages = in.gather(images, selected, in.constant(0));    // [keep, 32, 32, 3]
        Operand<TInt32> keptLabels = in.gather(labels, selected, in.constant(0));      // [keep]
        main = new TrainingGraph(tf, mainSpec, precision, optimizer, lossSpec,
                new TrainingGraph.InputBatch(keptImages, keptLabels));

        addProxyGroup(proxyVariables, optimizer, ParameterGroup.FILTERS, proxy.blockConvs());
        addProxyGroup(proxyVariables, optimizer, ParameterGroup.HEAD, List.of(proxy.head()));
        addProxyGroup(proxyVariables, optimizer, ParameterGroup.NORM_SHIFTS, proxy.normShifts());
        proxyStep = TrainingGraph.updateStep(proxyScope.withSubScope("optimizer"), proxyKeptLossSum, proxyTrained,
                forward.runningStatUpdates());
        proxyObserve = proxyScope.withControlDependencies(forward.runningStatUpdates()).withName("observe").noOp();
    }

    private void addProxyGroup(StateVariable.Factory variables, TrainingOptimizer optimizer, ParameterGroup group,
                               List<StateVariable> parameters) {
        GroupRule rule = optimizer.rule(group);
        for (StateVariable p : parameters) {
            String name = p.name().substring(PROXY_SCOPE.length() + 1);  // the factory adds the prefix again
            proxyTrained.add(new TrainingGraph.Trained(p, variables.create("momentum/" + name, p.shape()), rule,
                    main.lrMultiplier));
        }
    }

    /** Every variable of the proxy: its network's and its momentum buffers. */
    List<StateVariable> proxyState() {
        List<StateVariable> all = new ArrayList<>(proxy.variables());
        proxyTrained.forEach(t -> all.add(t.momentum()));
        return all;
    }

    /**
     * The XLA selection of the filtered graph: {@code base}, and the same for the proxy's parts (its
     * forward pass, loss and gradients compiled as the main network's are, its running statistics not).
     */
    static XlaClustering.Selection xlaSelection(XlaClustering.Selection base) {
        List<String> scopes = new ArrayList<>(base.scopes());
        base.scopes().forEach(s -> scopes.add(PROXY_SCOPE + "/" + s));
        List<String> excluded = new ArrayList<>(base.excludedScopes());
        base.excludedScopes().forEach(s -> excluded.add(PROXY_SCOPE + "/" + s));
        return new XlaClustering.Selection(base.types(), scopes, excluded, base.rewriteMaxPoolGradients());
    }
}

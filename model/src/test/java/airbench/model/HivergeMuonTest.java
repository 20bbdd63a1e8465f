package airbench.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;

/**
 * The hiverge record's Muon (docs/METHOD.md section 14): renormalization only at the listed steps, fed per step into
 * one graph; the decoupled decay at every step; its Newton-Schulz coefficients. Against plain-Java double-precision
 * closed forms.
 */
class HivergeMuonTest {

    /** The 37 steps docs/METHOD.md section 14 lists, 1-based Muon steps. */
    private static final List<Integer> LISTED = List.of(2, 4, 6, 8, 10, 12, 14, 16, 19, 22, 25, 28, 31, 35, 39, 43,
            47, 52, 57, 62, 68, 74, 80, 87, 94, 102, 110, 119, 128, 138, 149, 160, 172, 185, 199, 214, 230);

    @Test
    void theRecordRenormalizesAtExactlyTheThirtySevenListedSteps() {
        List<Integer> fired = new ArrayList<>();
        for (int k = 0; k < 243; k++) {
            if (MuonRenormalization.HIVERGE.at(k, 243)) {
                fired.add(k + 1);
            }
        }
        assertEquals(LISTED, fired);
        assertFalse(MuonRenormalization.HIVERGE.everyStep());
        assertTrue(MuonRenormalization.EVERY_STEP.everyStep());
        assertTrue(IntStream.range(0, 243).allMatch(k -> MuonRenormalization.EVERY_STEP.at(k, 243)));
    }

    @Test
    void theRecordsOptimizerHasSectionFourteensNumbers() {
        MuonSpec o = MuonSpec.HIVERGE;
        assertEquals(1536, o.batchSize());
        assertEquals(new GroupRule.NesterovSgd(0.0573, 1.0418e-6 * 1536, 0.825), o.rule(ParameterGroup.WHITEN_BIAS));
        assertEquals(new GroupRule.NesterovSgd(0.0573, 1.0418e-6 * 1536, 0.825), o.rule(ParameterGroup.NORM_SHIFTS));
        assertEquals(new GroupRule.NesterovSgd(0.5415, 1.0418e-6 * 1536, 0.825), o.rule(ParameterGroup.HEAD));
        // the coupled coefficients the record gives PyTorch's SGD, wd / lr
        assertEquals(0.027927, 1.0418e-6 * 1536 / 0.0573, 5e-7);
        assertEquals(0.0029551, 1.0418e-6 * 1536 / 0.5415, 5e-8);
        assertEquals(new GroupRule.MuonFilters(0.205, 0.655, 1.0418e-6 * 1536, new NewtonSchulz(3.4576, -4.7391, 2.0843),
                new MuonRenormalization(2, 15)), o.rule(ParameterGroup.FILTERS));
        assertEquals(1.6002e-3, o.muonWeightDecay(), 1e-7);
        // 94muon's stays as it was
        assertEquals(new GroupRule.MuonFilters(0.24, 0.6), MuonSpec.AIRBENCH94_MUON.rule(ParameterGroup.FILTERS));
    }

    /**
     * Two steps of a 2 -> 5 filter from zero momentum: the first with renormalization, the second without it, each
     * followed by the decoupled decay, in one graph fed the flag; against the closed form
     * {@code W' = (r(W) - s lr NS(u)) (1 - s lr wd)} with r the renormalization where it fires. The filter starts at
     * 3 times the renormalized norm and wd is large (the decay shrinks the filter by a third per step), so that a
     * skipped or an extra renormalization and a missing decay are each far outside the bfloat16 tolerance.
     */
    @Test
    void twoStepsWithTheDecayAndOneRenormalizationMatchTheClosedForm() {
        int in = 2;
        int out = 5;
        int n = 9 * in * out;
        double lr = 0.205;
        double mu = 0.655;
        double wd = 1.5;
        double[] s = {1.0, 0.9};
        boolean[] renormalize = {true, false};
        NewtonSchulz k = NewtonSchulz.HIVERGE;
        Random random = new Random(11);
        float[] w0 = MuonTest.floats(n, random, 1.0);
        double scale = 3 * Math.sqrt(out) / Math.sqrt(sumOfSquares(w0));
        for (int i = 0; i < n; i++) {
            w0[i] = (float) (w0[i] * scale);
        }
        float[][] g = {MuonTest.floats(n, random, 0.05), MuonTest.floats(n, random, 0.05)};

        double[] expected = closedForm(w0, g, s, renormalize, lr, mu, wd, k, in, out);
        double[] renormalizedTwice = closedForm(w0, g, s, new boolean[] {true, true}, lr, mu, wd, k, in, out);
        double[] neverRenormalized = closedForm(w0, g, s, new boolean[] {false, false}, lr, mu, wd, k, in, out);
        double[] undecayed = closedForm(w0, g, s, renormalize, lr, mu, 0, k, in, out);

        try (Graph graph = new Graph(); Session session = new Session(graph)) {
            Ops tf = Ops.create(graph);
            Shape shape = Shape.of(3, 3, in, out);
            Variable<TFloat32> w = tf.variable(tf.constant(shape, DataBuffers.of(w0)));
            Variable<TFloat32> b = tf.variable(tf.zeros(tf.constant(shape), TFloat32.class));
            Placeholder<TFloat32> gradient = tf.placeholder(TFloat32.class, Placeholder.shape(shape));
            Placeholder<TFloat32> multiplier = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.scalar()));
            Placeholder<TBool> flag = tf.placeholder(TBool.class, Placeholder.shape(Shape.scalar()));
            Op step = new GroupRule.MuonFilters(lr, mu, wd, k, MuonRenormalization.HIVERGE)
                    .update(tf, w, b, gradient, multiplier, flag);
            session.initialize();
            for (int t = 0; t < 2; t++) {
                try (TFloat32 gt = TFloat32.tensorOf(shape, DataBuffers.of(g[t], true, false));
                     TFloat32 st = TFloat32.scalarOf((float) s[t]);
                     TBool ft = TBool.scalarOf(renormalize[t])) {
                    session.runner().feed(gradient, gt).feed(multiplier, st).feed(flag, ft).addTarget(step).run();
                }
            }
            float[] actual = MuonTest.fetch(session, w);
            // Two steps, each off by at most MuonTest's bfloat16 bound on a Newton-Schulz result times lr (the decay
            // only shrinks the error); measured 0.0037 against this 0.0103.
            double tolerance = 2 * lr * 0.025;
            double extraRenorm = 0;
            double noRenorm = 0;
            double noDecay = 0;
            for (int i = 0; i < n; i++) {
                assertEquals(expected[i], actual[i], tolerance, "weight " + i);
                extraRenorm = Math.max(extraRenorm, Math.abs(renormalizedTwice[i] - actual[i]));
                noRenorm = Math.max(noRenorm, Math.abs(neverRenormalized[i] - actual[i]));
                noDecay = Math.max(noDecay, Math.abs(undecayed[i] - actual[i]));
            }
            assertTrue(extraRenorm > 10 * tolerance, "a renormalization at the second step would differ by " + extraRenorm);
            assertTrue(noRenorm > 10 * tolerance, "no renormalization at the first step would differ by " + noRenorm);
            assertTrue(noDecay > 10 * tolerance, "the update without decay would differ by " + noDecay);
        }
    }

    /** Muon steps of docs/METHOD.md section 14 in double precision, in PyTorch's layout where it matters. */
    private static double[] closedForm(float[] w0, float[][] g, double[] s, boolean[] renormalize, double lr,
                                       double mu, double wd, NewtonSchulz k, int in, int out) {
        int n = w0.length;
        double[] w = new double[n];
        for (int i = 0; i < n; i++) {
            w[i] = w0[i];
        }
        double[] buf = new double[n];
        for (int t = 0; t < g.length; t++) {
            double[] u = new double[n];
            for (int i = 0; i < n; i++) {
                buf[i] = mu * buf[i] + g[t][i];
                u[i] = g[t][i] + mu * buf[i];
            }
            double[][] o = MuonTest.newtonSchulz(MuonTest.asPyTorchMatrix(u, in, out), Muon.NEWTON_SCHULZ_STEPS, k);
            double norm = 0;
            for (double v : w) {
                norm += v * v;
            }
            double r = renormalize[t] ? Math.sqrt(out) / Math.sqrt(norm) : 1;
            double decay = 1 - s[t] * lr * wd;
            for (int row = 0; row < 3; row++) {
                for (int col = 0; col < 3; col++) {
                    for (int c = 0; c < in; c++) {
                        for (int f = 0; f < out; f++) {
                            int i = ((row * 3 + col) * in + c) * out + f;
                            w[i] = (w[i] * r - s[t] * lr * o[f][c * 9 + row * 3 + col]) * decay;
                        }
                    }
                }
            }
        }
        return w;
    }

    private static double sumOfSquares(float[] values) {
        double sum = 0;
        for (float v : values) {
            sum += (double) v * v;
        }
        return sum;
    }

    /**
     * Only a graph whose Muon skips renormalizations has the per-step flag (true unless fed), and only one with a
     * filter decay has its multiply: 94muon's graph is the one it was, op for op.
     */
    @Test
    void only94hivergesGraphHasTheRenormalizationFlag() {
        NetworkSpec narrow = NetworkSpec.HIVERGE.withWidths(List.of(8, 16, 16));
        try (Graph muon = new Graph(); Graph hiverge = new Graph()) {
            new TrainingGraph(muon, narrow, Precision.FP32, MuonSpec.AIRBENCH94_MUON, LossSpec.AIRBENCH);
            TrainingGraph h = new TrainingGraph(hiverge, narrow, Precision.FP32, MuonSpec.HIVERGE, LossSpec.AIRBENCH);
            assertTrue(muon.operation("input/renormalize_filters") == null);
            assertEquals("PlaceholderWithDefault", hiverge.operation("input/renormalize_filters").type());
            assertEquals("input/renormalize_filters", h.renormalizeFilters.op().name());
            // one Select per block filter (six) in each of the two training steps (whitening bias trained, frozen)
            assertEquals(12, countOps(hiverge, "Select") + countOps(hiverge, "SelectV2"));
            assertEquals(0, countOps(muon, "Select") + countOps(muon, "SelectV2"));
        }
    }

    private static long countOps(Graph graph, String type) {
        List<String> types = new ArrayList<>();
        graph.operations().forEachRemaining(op -> types.add(op.type()));
        return types.stream().filter(type::equals).count();
    }
}

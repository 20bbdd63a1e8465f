package airbench.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.types.TFloat32;

/**
 * The element-wise max-pooling gradient is MaxPoolGradV2's, value for value, on inputs full of ties
 * (pixels drawn from {0, 1, 2}), both as plain TensorFlow ops and rewritten into an XLA cluster.
 */
class MaxPoolGradRewriteTest {
    private static final int BATCH = 3;

    /** Pooling input [BATCH, size, size, channels], window = stride = k, as in the network's blocks and final pooling. */
    @ParameterizedTest
    @CsvSource({"31, 2, 4", "15, 2, 5", "7, 2, 3", "3, 3, 6"})
    void sameGradientAsMaxPoolGradV2(int size, int k, int channels) {
        Shape input = Shape.of(-1, size, size, channels);
        int pooled = size / k;
        Random random = new Random(size * 31L + k);
        float[] x = new float[BATCH * size * size * channels];
        for (int i = 0; i < x.length; i++) {
            x[i] = random.nextInt(3);
        }
        float[] g = new float[BATCH * pooled * pooled * channels];
        for (int i = 0; i < g.length; i++) {
            g[i] = (float) random.nextGaussian();
        }
        try (Graph graph = new Graph()) {
            Ops tf = Ops.create(graph);
            Operand<TFloat32> xIn = tf.withName("x").placeholder(TFloat32.class, Placeholder.shape(input));
            Operand<TFloat32> gIn = tf.withName("g").placeholder(TFloat32.class,
                    Placeholder.shape(Shape.of(-1, pooled, pooled, channels)));
            Operand<org.tensorflow.types.TInt32> window = tf.constant(new int[] {1, k, k, 1});
            Operand<TFloat32> y = tf.nn.maxPool(xIn, window, window, "VALID");
            Operand<TFloat32> reference = tf.withName("reference").nn.maxPoolGrad(xIn, y, gIn, window, window, "VALID");
            Operand<TFloat32> elementWise = MaxPoolGradRewrite.firstMaxGradient(tf.withSubScope("element_wise"),
                    xIn, y, gIn, input, k);
            assertEquals(MaxPoolGradRewrite.GRADIENT_OP, reference.asOutput().op().type());

            float[] expected = run(graph, "reference", x, g, size, pooled, channels);
            assertTrue(countNonZero(expected) > 0);
            assertArrayEquals(expected, run(graph, elementWise.asOutput().op().name(), x, g, size, pooled, channels));

            Set<String> added = new HashSet<>();
            XlaClustering.Selection everywhere = new XlaClustering.Selection(XlaClustering.COMPILED_TYPES,
                    List.of("reference"), List.of(), true);
            GraphDef rewritten = MaxPoolGradRewrite.rewrite(graph, graph.toGraphDef(), everywhere, added);
            NodeDef replaced = rewritten.getNodeList().stream().filter(n -> n.getName().equals("reference"))
                    .findFirst().orElseThrow();
            assertEquals("Identity", replaced.getOp());
            assertTrue(added.contains("reference") && added.size() > 10, added.toString());
            try (Graph compiled = new Graph()) {
                compiled.importGraphDef(XlaClustering.mark(graph, everywhere).graphDef());
                assertArrayEquals(expected, run(compiled, "reference", x, g, size, pooled, channels), "XLA-compiled");
            }
        }
    }

    private static float[] run(Graph graph, String fetch, float[] x, float[] g, int size, int pooled, int channels) {
        try (Session session = new Session(graph);
             TFloat32 xt = TFloat32.tensorOf(Shape.of(BATCH, size, size, channels), DataBuffers.of(x, true, false));
             TFloat32 gt = TFloat32.tensorOf(Shape.of(BATCH, pooled, pooled, channels), DataBuffers.of(g, true, false));
             Result result = session.runner().feed("x", xt).feed("g", gt).fetch(fetch).run()) {
            float[] out = new float[x.length];
            ((TFloat32) result.get(0)).copyTo(DataBuffers.of(out, false, false));
            return out;
        }
    }

    private static int countNonZero(float[] values) {
        int n = 0;
        for (float v : values) {
            n += v != 0 ? 1 : 0;
        }
        return n;
    }
}

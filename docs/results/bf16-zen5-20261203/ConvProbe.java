import org.tensorflow.*;
import org.tensorflow.op.*;
import org.tensorflow.op.core.Gradients;
import org.tensorflow.types.*;
import org.tensorflow.ndarray.Shape;
import java.util.*;

public class ConvProbe {
    public static void main(String[] a) {
        int kk = a.length > 4 ? Integer.parseInt(a[4]) : 3; String pad = a.length > 5 ? a[5] : "SAME"; int n = Integer.parseInt(a[0]), hw = Integer.parseInt(a[1]), cin = Integer.parseInt(a[2]), cout = Integer.parseInt(a[3]);
        Random r = new Random(1);
        float[] xs = new float[n*hw*hw*cin]; for (int i=0;i<xs.length;i++) xs[i]=(float)r.nextGaussian();
        float[] ks = new float[kk*kk*cin*cout]; for (int i=0;i<ks.length;i++) ks[i]=(float)(r.nextGaussian()/Math.sqrt(kk*kk*cin));
        try (Graph g = new Graph(); Session s = new Session(g)) {
            Ops tf = Ops.create(g);
            Operand<TFloat32> x = tf.constant(Shape.of(n,hw,hw,cin), org.tensorflow.ndarray.buffer.DataBuffers.of(xs));
            Operand<TFloat32> k = tf.constant(Shape.of(kk,kk,cin,cout), org.tensorflow.ndarray.buffer.DataBuffers.of(ks));
            List<Long> st = Arrays.asList(1L,1L,1L,1L);
            Operand<TFloat32> y32 = tf.nn.conv2d(x, k, st, pad);
            Operand<TFloat32> y16 = tf.dtypes.cast(tf.nn.conv2d(tf.dtypes.cast(x, TBfloat16.class), tf.dtypes.cast(k, TBfloat16.class), st, pad), TFloat32.class);
            Operand<TFloat32> l32 = tf.reduceSum(tf.math.square(y32), tf.constant(new int[]{0,1,2,3}));
            Operand<TFloat32> l16 = tf.reduceSum(tf.math.square(y16), tf.constant(new int[]{0,1,2,3}));
            Gradients g32 = tf.gradients(l32, Arrays.asList(x, k));
            Gradients g16 = tf.gradients(l16, Arrays.asList(x, k));
            var res = s.runner().fetch(y32).fetch(y16).fetch(g32.dy(0)).fetch(g16.dy(0)).fetch(g32.dy(1)).fetch(g16.dy(1)).run();
            String[] names = {"forward", "grad input", "grad filter"};
            for (int p = 0; p < 3; p++) {
                TFloat32 A = (TFloat32) res.get(2*p), B = (TFloat32) res.get(2*p+1);
                double maxA = 0, maxD = 0; long bad = 0; long cnt = A.size();
                float[] fa = new float[(int)cnt], fb = new float[(int)cnt];
                A.asRawTensor().data().asFloats().read(fa); B.asRawTensor().data().asFloats().read(fb);
                for (int i=0;i<cnt;i++){ maxA=Math.max(maxA,Math.abs(fa[i])); double d=Math.abs(fa[i]-fb[i]); if(!(d<1e30)) bad++; else maxD=Math.max(maxD,d);} 
                System.out.printf("CONV %s: max |fp32| %.4g, max |bf16-fp32| %.4g (rel %.3g), non-finite %d%n", names[p], maxA, maxD, maxD/maxA, bad);
            }
        }
    }
}

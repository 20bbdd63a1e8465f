package airbench.tools;

import airbench.model.NetworkSpec;
import airbench.model.PatchWhitening;
import java.util.Random;

/**
 * The one batch the timing tools run their steps on: normal(0, 1) pixels (normalized images have mean 0 and
 * standard deviation 1), uniform labels, and whitening filters computed from those pixels. The values do not
 * change the work of a step; the seed makes them the same in every run.
 */
record SyntheticBatch(float[] images, int[] labels, float[] whitening) {
    /** Seed of the synthetic batch and of the initial weights. */
    static final long SEED = 1;
    /** Whitening epsilon of the method (docs/METHOD.md section 4). */
    static final double WHITEN_EPSILON = 5e-4;

    static SyntheticBatch of(int batch, int classes) {
        Random random = new Random(SEED);
        float[] images = new float[batch * NetworkSpec.IMAGE_SIZE * NetworkSpec.IMAGE_SIZE * NetworkSpec.CHANNELS];
        for (int i = 0; i < images.length; i++) {
            images[i] = (float) random.nextGaussian();
        }
        int[] labels = new int[batch];
        for (int i = 0; i < batch; i++) {
            labels[i] = random.nextInt(classes);
        }
        return new SyntheticBatch(images, labels, PatchWhitening.filters(images, batch, WHITEN_EPSILON));
    }
}

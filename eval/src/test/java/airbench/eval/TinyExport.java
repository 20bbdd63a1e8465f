package airbench.eval;

import airbench.data.CifarVariant;
import airbench.data.DatasetChoice;
import airbench.data.Normalization;
import airbench.model.AirbenchModel;
import airbench.model.DatasetInfo;
import airbench.model.NetworkSpec;
import airbench.model.OptimizerSpec;
import airbench.model.Precision;
import airbench.model.SavedModelExport;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

/**
 * A narrow network, randomly initialized and trained for two steps on random data, and its export:
 * CIFAR-10 exported as before datasets were recorded ({@link #train(long)}, {@link #export}), or
 * with the head, normalization and names of a chosen dataset ({@link #train(long, DatasetChoice)},
 * {@link #export(AirbenchModel, DatasetChoice, Path)}).
 */
final class TinyExport {
    static final NetworkSpec SPEC = new NetworkSpec(List.of(8, 16, 16), 2, false, 0.6, 10);
    private static final OptimizerSpec OPTIMIZER = new OptimizerSpec(32, 11.5, 0.85, 0.0153, 64);

    private TinyExport() {}

    /** Trained for two steps so that BatchNorm running statistics and weights are not at their initial values. */
    static AirbenchModel train(long seed) {
        return train(seed, SPEC, Normalization.CIFAR10);
    }

    /** As {@link #train(long)} with the dataset's class count and normalization. */
    static AirbenchModel train(long seed, DatasetChoice dataset) {
        return train(seed, SPEC.withNumClasses(dataset.numClasses()), dataset.normalization());
    }

    private static AirbenchModel train(long seed, NetworkSpec spec, Normalization normalization) {
        AirbenchModel model = new AirbenchModel(spec, Precision.FP32, OPTIMIZER, 1);
        Random random = new Random(seed);
        float[] whiten = new float[2 * 2 * 3 * 24];
        for (int i = 0; i < whiten.length; i++) {
            whiten[i] = (float) random.nextGaussian() * 0.5f;
        }
        model.initialize(whiten, seed);
        byte[] pixels = randomPixels(32, seed + 1);
        float[] images = normalization.apply(pixels);
        int[] labels = new int[32];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = random.nextInt(spec.numClasses());
        }
        model.trainStep(images, labels, 32, 1.0, true, null);
        model.trainStep(images, labels, 32, 1.0, true, null);
        return model;
    }

    static Path export(AirbenchModel model, Path dir) {
        SavedModelExport.export(SPEC, Precision.FP32, model.networkState(), CifarVariant.CIFAR10.wellKnownClassNames(),
                dir, false);
        return dir;
    }

    /** The export of a model of {@link #train(long, DatasetChoice)}: its dataset, official names and normalization. */
    static Path export(AirbenchModel model, DatasetChoice dataset, Path dir) {
        Normalization normalization = dataset.normalization();
        SavedModelExport.export(model.spec(), Precision.FP32, model.networkState(), new DatasetInfo(dataset.id(),
                dataset.wellKnownClassNames(), normalization.mean(), normalization.std()), dir, false);
        return dir;
    }

    /** Random uint8 RGB images [count, 32, 32, 3] with some spatial structure (smooth blobs plus noise). */
    static byte[] randomPixels(int count, long seed) {
        Random random = new Random(seed);
        byte[] pixels = new byte[count * 32 * 32 * 3];
        for (int i = 0; i < count; i++) {
            double cx = random.nextDouble() * 32;
            double cy = random.nextDouble() * 32;
            int[] base = {random.nextInt(256), random.nextInt(256), random.nextInt(256)};
            for (int y = 0; y < 32; y++) {
                for (int x = 0; x < 32; x++) {
                    double d = Math.hypot(x - cx, y - cy) / 32;
                    for (int c = 0; c < 3; c++) {
                        int v = (int) (base[c] * (1 - d) + random.nextInt(40) - 20);
                        pixels[((i * 32 + y) * 32 + x) * 3 + c] = (byte) Math.max(0, Math.min(255, v));
                    }
                }
            }
        }
        return pixels;
    }
}

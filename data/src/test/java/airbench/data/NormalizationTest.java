package airbench.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NormalizationTest {

    @Test
    void scalesToUnitRangeThenStandardizesPerChannel() {
        byte[] pixels = {0, (byte) 255, (byte) 128, 64, 0, (byte) 200};
        float[] out = Normalization.normalize(pixels);
        // (value / 255 - mean) / std, channel = position % 3, computed by hand in double.
        assertEquals((0 - 0.4914) / 0.2470, out[0], 1e-5);
        assertEquals((1 - 0.4822) / 0.2435, out[1], 1e-5);
        assertEquals((128 / 255.0 - 0.4465) / 0.2616, out[2], 1e-5);
        assertEquals((64 / 255.0 - 0.4914) / 0.2470, out[3], 1e-5);
        assertEquals((0 - 0.4822) / 0.2435, out[4], 1e-5);
        assertEquals((200 / 255.0 - 0.4465) / 0.2616, out[5], 1e-5);
    }

    @Test
    void normalizesASliceWithItsOwnChannelCount() {
        byte[] pixels = {99, 99, 99, 10, 20, 30};
        float[] out = Normalization.normalize(pixels, 3, 3);
        assertEquals(3, out.length);
        assertEquals((10 / 255.0 - 0.4914) / 0.2470, out[0], 1e-5);
        assertEquals((30 / 255.0 - 0.4465) / 0.2616, out[2], 1e-5);
        assertThrows(IllegalArgumentException.class, () -> Normalization.normalize(pixels, 0, 4));
    }

    @Test
    void cifar100UsesItsOwnTrainingSetStatistics() {
        byte[] pixels = {0, (byte) 255, (byte) 128, 64, 0, (byte) 200};
        float[] out = Normalization.CIFAR100.apply(pixels);
        assertEquals((0 - 0.5071) / 0.2673, out[0], 1e-5);
        assertEquals((1 - 0.4865) / 0.2564, out[1], 1e-5);
        assertEquals((128 / 255.0 - 0.4409) / 0.2762, out[2], 1e-5);
        assertEquals((64 / 255.0 - 0.5071) / 0.2673, out[3], 1e-5);
        assertEquals((200 / 255.0 - 0.4409) / 0.2762, out[5], 1e-5);
        assertEquals((10 / 255.0 - 0.5071) / 0.2673, Normalization.CIFAR100.apply(new byte[] {9, 9, 9, 10, 20, 30},
                3, 3)[0], 1e-5);
    }

    @Test
    void theStaticFormIsCifar10sBitForBit() {
        byte[] pixels = new byte[3 * 256];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (byte) (i / 3);
        }
        assertArrayEquals(Normalization.CIFAR10.apply(pixels), Normalization.normalize(pixels));
        assertArrayEquals(Normalization.MEAN, Normalization.CIFAR10.mean());
        assertArrayEquals(Normalization.STD, Normalization.CIFAR10.std());
        Normalization.CIFAR100.mean()[0] = 99f;  // a copy: the constants cannot be changed from outside
        assertEquals(0.5071f, Normalization.CIFAR100.mean()[0]);
    }

    @Test
    void measuresMeanAndPopulationStandardDeviationPerChannel() {
        // Channel 0: 0 and 255 -> mean 0.5, std 0.5; channel 1: 0 and 102 -> 0.2, 0.2; channel 2: 255 and 153 -> 0.8, 0.2.
        byte[] pixels = {0, 0, (byte) 255, (byte) 255, 102, (byte) 153};
        Normalization measured = Normalization.measure(pixels);
        assertArrayEquals(new float[] {0.5f, 0.2f, 0.8f}, measured.mean(), 1e-7f);
        assertArrayEquals(new float[] {0.5f, 0.2f, 0.2f}, measured.std(), 1e-7f);
        assertThrows(IllegalArgumentException.class, () -> Normalization.measure(new byte[] {1, 2, 3, 1, 5, 6}));
        assertThrows(IllegalArgumentException.class, () -> Normalization.measure(new byte[0]));
    }

    @Test
    void measuresAWrittenCifar100TrainingFileAsTheFormulaSays(@TempDir Path dir) throws IOException {
        RecordCounts counts = new RecordCounts(40, 2);
        CifarFiles.writeFolder(dir, CifarFiles.dataFiles(CifarVariant.CIFAR100, counts));
        Normalization measured = Normalization.measure(CifarReader.read(dir, DatasetChoice.CIFAR100, counts)
                .train().images());

        // Two passes in double over the values the fixture wrote, without the reader.
        for (int c = 0; c < 3; c++) {
            double sum = 0;
            int n = 0;
            for (int i = 0; i < 40; i++) {
                for (int y = 0; y < 32; y++) {
                    for (int x = 0; x < 32; x++) {
                        sum += CifarFiles.pixel(CifarFiles.TRAIN, i, y, x, c) / 255.0;
                        n++;
                    }
                }
            }
            double mean = sum / n;
            double squares = 0;
            for (int i = 0; i < 40; i++) {
                for (int y = 0; y < 32; y++) {
                    for (int x = 0; x < 32; x++) {
                        double d = CifarFiles.pixel(CifarFiles.TRAIN, i, y, x, c) / 255.0 - mean;
                        squares += d * d;
                    }
                }
            }
            assertEquals(mean, measured.mean()[c], 1e-6, "mean of channel " + c);
            assertEquals(Math.sqrt(squares / n), measured.std()[c], 1e-6, "std of channel " + c);
        }
    }
}

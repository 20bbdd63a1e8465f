package airbench.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

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
}

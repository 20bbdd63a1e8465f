package airbench.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** ImageOps against small examples written out by hand. */
class ImageOpsTest {

    @Test
    void reflectPadMirrorsWithoutRepeatingTheEdge() {
        float[] image = {
            1, 2, 3,
            4, 5, 6,
            7, 8, 9};
        float[] expected = {
            9, 8, 7, 8, 9, 8, 7,
            6, 5, 4, 5, 6, 5, 4,
            3, 2, 1, 2, 3, 2, 1,
            6, 5, 4, 5, 6, 5, 4,
            9, 8, 7, 8, 9, 8, 7,
            6, 5, 4, 5, 6, 5, 4,
            3, 2, 1, 2, 3, 2, 1};
        assertArrayEquals(expected, ImageOps.reflectPad(image, 1, 3, 3, 1, 2));
    }

    @Test
    void reflectPadKeepsChannelsTogetherAndImagesApart() {
        // Two 2x2 images with 2 channels; pixel A = (1, -1) etc. Padded by 1: rows and columns go 1, 0, 1, 0.
        float[] images = {
            1, -1, 2, -2,
            3, -3, 4, -4,
            10, -10, 20, -20,
            30, -30, 40, -40};
        float[] expected = {
            4, -4, 3, -3, 4, -4, 3, -3,
            2, -2, 1, -1, 2, -2, 1, -1,
            4, -4, 3, -3, 4, -4, 3, -3,
            2, -2, 1, -1, 2, -2, 1, -1,
            40, -40, 30, -30, 40, -40, 30, -30,
            20, -20, 10, -10, 20, -20, 10, -10,
            40, -40, 30, -30, 40, -40, 30, -30,
            20, -20, 10, -10, 20, -20, 10, -10};
        assertArrayEquals(expected, ImageOps.reflectPad(images, 2, 2, 2, 2, 1));
    }

    @Test
    void reflectPadRefusesAPadAsLargeAsTheImage() {
        assertThrows(IllegalArgumentException.class, () -> ImageOps.reflectPad(new float[9], 1, 3, 3, 1, 3));
    }

    @Test
    void mirrorReversesColumnsOnly() {
        float[] images = {
            1, 10, 2, 20, 3, 30,
            4, 40, 5, 50, 6, 60};
        float[] expected = {
            3, 30, 2, 20, 1, 10,
            6, 60, 5, 50, 4, 40};
        assertArrayEquals(expected, ImageOps.mirror(images, 1, 2, 3, 2));
    }

    @Test
    void cropCopiesTheWindow() {
        float[] image = new float[16];
        for (int k = 0; k < 16; k++) {
            image[k] = k;
        }
        assertArrayEquals(new float[] {6, 7, 10, 11}, ImageOps.crop(image, 1, 4, 4, 1, 1, 2, 2, 2));
        assertThrows(IllegalArgumentException.class, () -> ImageOps.crop(image, 1, 4, 4, 1, 3, 0, 2, 2));
    }
}

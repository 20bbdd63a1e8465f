package airbench.train.sweep;

import airbench.data.CifarVariant;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * A folder of CIFAR-10 binary files with the official record counts (5 x 10,000 training and 10,000 test images)
 * holding a learnable synthetic dataset, so that a sweep's runs read their data the way a user's do
 * ({@code --data-dir}) on machines without the real archive. Each class has its own colour and stripe orientation,
 * plus noise. Written from the format (label byte, then the red, green and blue planes, rows first).
 */
public final class SyntheticCifarFolder {
    private SyntheticCifarFolder() {}

    public static Path write(Path folder) throws IOException {
        Files.createDirectories(folder);
        SplittableRandom random = new SplittableRandom(20261130);
        CifarVariant cifar = CifarVariant.CIFAR10;
        int perFile = cifar.officialCounts().perTrainFile();
        for (String name : cifar.dataFiles()) {
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(folder.resolve(name)), 1 << 20)) {
                byte[] record = new byte[cifar.recordBytes()];
                for (int i = 0; i < perFile; i++) {
                    int label = random.nextInt(10);
                    record[0] = (byte) label;
                    int phase = random.nextInt(8);
                    int at = 1;
                    for (int c = 0; c < 3; c++) {
                        int base = 60 + 40 * ((label + c) % 4);
                        for (int y = 0; y < 32; y++) {
                            for (int x = 0; x < 32; x++) {
                                int along = label < 5 ? x : y;
                                boolean stripe = ((along + phase) / (2 + label % 5)) % 2 == 0;
                                int value = base + (stripe ? 35 : -35) + random.nextInt(81) - 40;
                                record[at++] = (byte) Math.max(0, Math.min(255, value));
                            }
                        }
                    }
                    out.write(record);
                }
            }
        }
        return folder;
    }
}

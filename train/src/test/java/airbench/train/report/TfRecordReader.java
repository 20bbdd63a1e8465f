package airbench.train.report;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.tensorflow.proto.Event;

/**
 * Reads a TensorBoard event file for the tests, independently of {@link EventFile}: its own bitwise
 * CRC32C (not java.util.zip.CRC32C), its own masking, and a failure on any bad length, CRC or trailing
 * byte. The payloads are parsed with TensorFlow's own {@link Event} class.
 */
final class TfRecordReader {

    private TfRecordReader() {}

    static List<Event> read(Path file) throws IOException {
        ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        List<Event> events = new ArrayList<>();
        while (bytes.hasRemaining()) {
            if (bytes.remaining() < 12) {
                throw new IllegalStateException(file + ": " + bytes.remaining() + " trailing bytes, not a record");
            }
            byte[] lengthBytes = new byte[8];
            bytes.get(lengthBytes);
            long length = ByteBuffer.wrap(lengthBytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
            int lengthCrc = bytes.getInt();
            if (lengthCrc != masked(crc32c(lengthBytes))) {
                throw new IllegalStateException(file + ": bad length CRC at record " + events.size());
            }
            if (length < 0 || length + 4 > bytes.remaining()) {
                throw new IllegalStateException(file + ": record " + events.size() + " runs past the end");
            }
            byte[] data = new byte[(int) length];
            bytes.get(data);
            if (bytes.getInt() != masked(crc32c(data))) {
                throw new IllegalStateException(file + ": bad data CRC at record " + events.size());
            }
            events.add(Event.parseFrom(data));
        }
        return events;
    }

    /** CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), bit by bit. */
    static int crc32c(byte[] data) {
        int crc = 0xffffffff;
        for (byte b : data) {
            crc ^= b & 0xff;
            for (int k = 0; k < 8; k++) {
                crc = (crc & 1) != 0 ? (crc >>> 1) ^ 0x82F63B78 : crc >>> 1;
            }
        }
        return ~crc;
    }

    /** TFRecord's mask: rotate right by 15 bits, add 0xa282ead8. */
    static int masked(int crc) {
        return Integer.rotateRight(crc, 15) + 0xa282ead8;
    }
}

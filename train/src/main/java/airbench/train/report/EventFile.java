package airbench.train.report;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.zip.CRC32C;
import org.tensorflow.proto.Event;
import org.tensorflow.proto.Summary;

/**
 * A TensorBoard event file ({@code events.out.tfevents.*}), written directly: a sequence of TFRecord
 * records, each {@code uint64 length, uint32 masked CRC32C(length), bytes, uint32 masked CRC32C(bytes)}
 * (little-endian), every record one serialized {@link Event}; the first carries the file version.
 *
 * <p>Why not TensorFlow's summary ops ({@code createSummaryFileWriter}, {@code writeScalarSummary}, ...):
 * they would add nodes, a writer resource and extra {@code Session.run} calls to the training graph that
 * another helper and XLA clustering also shape, for values the Java loop already holds (the loss, the
 * schedule, the weights read at the checkpoint). Writing the records here keeps the graph as it is, and it
 * lets a resumed run cut the file back to its checkpoint, which a summary writer resource cannot do.
 *
 * <p>Every {@link #append} is one {@code write} of whole records to a file opened for appending and closed
 * again, with no buffering in Java: what a step wrote is in the file even if the JVM dies right after, so
 * a resumed run loses nothing before its checkpoint, and {@link #truncateAfter} removes what came after.
 */
final class EventFile {
    static final String NAME_PART = "tfevents";
    static final String FILE_VERSION = "brain.Event:2";
    private static final int MASK_DELTA = 0xa282ead8;

    private final Path file;

    private EventFile(Path file) {
        this.file = file;
    }

    Path path() {
        return file;
    }

    /** A new file {@code events.out.tfevents.<seconds>.<host>} in {@code dir}, holding the version event. */
    static EventFile create(Path dir, double wallTime) {
        String host = System.getenv().getOrDefault("HOSTNAME", "localhost");
        Path file = dir.resolve("events.out." + NAME_PART + "." + (long) wallTime + "." + host);
        for (int i = 2; Files.exists(file); i++) {
            file = dir.resolve("events.out." + NAME_PART + "." + (long) wallTime + "." + host + "." + i);
        }
        EventFile events = new EventFile(file);
        events.append(List.of(Event.newBuilder().setWallTime(wallTime).setStep(0).setFileVersion(FILE_VERSION).build()));
        return events;
    }

    /** An existing file, to append to. */
    static EventFile open(Path file) {
        return new EventFile(file);
    }

    /** Appends whole records, in one write. */
    void append(List<Event> events) {
        int size = 0;
        byte[][] payloads = new byte[events.size()][];
        for (int i = 0; i < payloads.length; i++) {
            payloads[i] = events.get(i).toByteArray();
            size += payloads[i].length + 16;
        }
        ByteBuffer buffer = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        for (byte[] payload : payloads) {
            ByteBuffer length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, payload.length);
            buffer.putLong(payload.length);
            buffer.putInt(maskedCrc32c(length.array(), 0, 8));
            buffer.put(payload);
            buffer.putInt(maskedCrc32c(payload, 0, payload.length));
        }
        buffer.flip();
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.APPEND)) {
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not write the TensorBoard event file " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Cuts {@code file} after its last intact record whose step is at most {@code maxStep} (this project's
     * files are in step order), dropping a damaged or half-written tail too.
     *
     * @return the summary tags of the records kept
     */
    static Set<String> truncateAfter(Path file, long maxStep) {
        Set<String> tags = new LinkedHashSet<>();
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long keep = 0;
            long size = channel.size();
            ByteBuffer header = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
            while (keep + 12 <= size) {
                header.clear();
                channel.read(header, keep);
                long length = header.getLong(0);
                if (header.getInt(8) != maskedCrc32c(header.array(), 0, 8) || length < 0
                        || keep + 16 + length > size) {
                    break;
                }
                ByteBuffer body = ByteBuffer.allocate((int) length + 4).order(ByteOrder.LITTLE_ENDIAN);
                channel.read(body, keep + 12);
                if (body.getInt((int) length) != maskedCrc32c(body.array(), 0, (int) length)) {
                    break;
                }
                Event event = Event.parseFrom(ByteBuffer.wrap(body.array(), 0, (int) length));
                if (event.getStep() > maxStep) {
                    break;
                }
                event.getSummary().getValueList().forEach(v -> tags.add(v.getTag()));
                keep += 16 + length;
            }
            channel.truncate(keep);
        } catch (IOException e) {
            throw new UncheckedIOException("could not cut the TensorBoard event file " + file + " back to step "
                    + maxStep + ": " + e.getMessage(), e);
        }
        return tags;
    }

    /** TFRecord's masked CRC32C (Castagnoli): the CRC rotated right by 15 bits plus a constant. */
    static int maskedCrc32c(byte[] data, int offset, int length) {
        CRC32C crc = new CRC32C();
        crc.update(data, offset, length);
        int value = (int) crc.getValue();
        return ((value >>> 15) | (value << 17)) + MASK_DELTA;
    }

    /** An event at {@code step} holding {@code values}. */
    static Event event(double wallTime, long step, List<Summary.Value> values) {
        return Event.newBuilder().setWallTime(wallTime).setStep(step)
                .setSummary(Summary.newBuilder().addAllValue(values)).build();
    }
}

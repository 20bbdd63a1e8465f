package airbench.train;

import java.io.StringWriter;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.WriterAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.layout.PatternLayout;

/**
 * What Log4j logs while it is open, as {@code LEVEL message} lines: the failures a command logs (exit code 1) go
 * to the console appender, which a test cannot read, so a test opens one of these around the command.
 */
public final class LogCapture implements AutoCloseable {
    private static final String NAME = "test-capture";
    private final StringWriter text = new StringWriter();
    private final LoggerContext context = LoggerContext.getContext(false);
    private final WriterAppender appender;

    public LogCapture() {
        Configuration config = context.getConfiguration();
        appender = WriterAppender.newBuilder().setName(NAME).setTarget(text)
                .setLayout(PatternLayout.newBuilder().withPattern("%level %msg%n").withConfiguration(config).build())
                .build();
        appender.start();
        config.getRootLogger().addAppender(appender, Level.ALL, null);
        context.updateLoggers();
    }

    /** Everything logged so far. */
    public String text() {
        return text.toString();
    }

    @Override
    public void close() {
        context.getConfiguration().getRootLogger().removeAppender(NAME);
        context.updateLoggers();
        appender.stop();
    }
}

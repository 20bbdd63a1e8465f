package airbench.train.cli;

import airbench.train.StopSignal;

/**
 * A child JVM's main for {@link SignalStopTest}: installs the command line's handlers as a training does, prints
 * which of the signals the process ignores ({@link SignalStop#ignoredSignals}) and ends.
 */
final class SignalStopProbe {
    private SignalStopProbe() {}

    public static void main(String[] args) {
        try (SignalStop signals = SignalStop.install(new StopSignal())) {
            System.out.println("ignored=" + signals.ignoredSignals());
        }
    }
}

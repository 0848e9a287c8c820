package io.modelgate.runtime.process;

/**
 * How a container ended: {@code code} is its exit code, or 128 + the signal that killed it (137 for SIGKILL), as a
 * shell reports it; {@code signal} is that signal, 0 when it exited by itself.
 */
public record ExitStatus(int code, int signal) {
    public ExitStatus {
        if (code < 0 || code > 255) {
            throw new IllegalArgumentException("exit code " + code + " is outside 0..255");
        }
        if (signal < 0 || signal > 64 || (signal > 0 && code != 128 + signal)) {
            throw new IllegalArgumentException("signal " + signal + " does not match exit code " + code);
        }
    }

    public static ExitStatus exited(int code) {
        return new ExitStatus(code, 0);
    }

    public static ExitStatus killedBy(int signal) {
        return new ExitStatus(128 + signal, signal);
    }

    public boolean killedBySignal() {
        return signal != 0;
    }

    @Override
    public String toString() {
        return killedBySignal() ? "killed by signal " + signal + " (" + code + ")" : "exited with " + code;
    }
}

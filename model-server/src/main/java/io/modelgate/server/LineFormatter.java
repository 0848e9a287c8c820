package io.modelgate.server;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/** One line per record on stderr, "2024-05-01T10:00:00.123Z INFO  message": what container logs want. */
final class LineFormatter extends Formatter {

  static void install(Level level) {
    Logger root = Logger.getLogger("");
    for (Handler h : root.getHandlers()) {
      root.removeHandler(h);
    }
    ConsoleHandler handler = new ConsoleHandler();
    handler.setFormatter(new LineFormatter());
    handler.setLevel(level);
    root.addHandler(handler);
    root.setLevel(Level.INFO);
    // Only this server's own loggers go to debug; the JDK's HTTP server is chatty at FINE.
    Logger.getLogger("io.modelgate.server").setLevel(level);
  }

  @Override
  public String format(LogRecord r) {
    StringBuilder b = new StringBuilder(128);
    b.append(Instant.ofEpochMilli(r.getMillis())).append(' ').append(name(r.getLevel())).append(' ')
        .append(formatMessage(r)).append('\n');
    if (r.getThrown() != null) {
      StringWriter w = new StringWriter();
      r.getThrown().printStackTrace(new PrintWriter(w));
      b.append(w);
    }
    return b.toString();
  }

  private static String name(Level level) {
    if (level.intValue() >= Level.SEVERE.intValue()) {
      return "ERROR";
    }
    if (level.intValue() >= Level.WARNING.intValue()) {
      return "WARN ";
    }
    if (level.intValue() >= Level.INFO.intValue()) {
      return "INFO ";
    }
    return "DEBUG";
  }
}

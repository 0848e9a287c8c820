package io.modelgate.loadtest;

import io.hyperfoil.api.config.Benchmark;
import io.hyperfoil.api.config.Phase;
import io.hyperfoil.api.statistics.StatisticsSnapshot;
import io.hyperfoil.core.impl.LocalBenchmarkData;
import io.hyperfoil.core.impl.LocalSimulationRunner;
import io.hyperfoil.core.parser.BenchmarkParser;
import io.hyperfoil.http.statistics.HttpStats;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs a Hyperfoil benchmark in this JVM and writes what it measured, one row per second of arrivals, as CSV,
 * plus a summary of the whole run.
 *
 * <p>The benchmark (written by load-tests/run) has one phase per second (and per model where several are driven at
 * once), named {@code s0000}, {@code s0001}, … or {@code s0007-iris}:
 * an open-model {@code constantRate} phase (sessions start at the arrival rate whatever the server's latency, so a
 * slow server cannot slow the arrivals down and hide its latency, i.e. no coordinated omission) or a closed-loop
 * {@code always} phase (N users each sending the next request when the last one is answered). Hyperfoil keeps one
 * HdrHistogram per phase, so each second's percentiles are exact for the requests that arrived in it, and adding
 * the histograms gives the run's percentiles.
 *
 * <pre>java -cp 'load-driver.jar:lib/*' io.modelgate.loadtest.LoadDriver BENCHMARK.yaml SAMPLES.csv SUMMARY.txt</pre>
 */
public final class LoadDriver {
    private static final Pattern SECOND = Pattern.compile("s(\\d+)(?:-([a-z0-9-]+))?");
    private static final double[] PERCENTILES = {50, 90, 99, 99.9};

    private LoadDriver() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: LoadDriver BENCHMARK.yaml SAMPLES.csv SUMMARY.txt");
            System.exit(2);
        }
        System.out.print(run(Path.of(args[0]), Path.of(args[1]), Path.of(args[2])));
    }

    /** Runs the benchmark in YAML, writes the per-second samples and the summary, and returns the summary. */
    public static String run(Path yaml, Path samples, Path summaryFile) throws Exception {
        Benchmark benchmark;
        try (InputStream in = Files.newInputStream(yaml)) {
            benchmark = BenchmarkParser.instance().buildBenchmark(in, new LocalBenchmarkData(yaml.toAbsolutePath()), Map.of());
        }
        Map<Key, Row> rows = new TreeMap<>();
        StatisticsSnapshot total = new StatisticsSnapshot();
        LocalSimulationRunner runner = new LocalSimulationRunner(benchmark, (phase, stepId, metric, snapshot, countDown) -> {
            synchronized (rows) {
                rows.computeIfAbsent(key(phase), k -> new Row(k, new StatisticsSnapshot())).stats.add(snapshot);
                total.add(snapshot);
            }
        }, null, null);
        long start = System.currentTimeMillis();
        runner.run();
        long end = System.currentTimeMillis();
        writeSamples(samples, rows);
        String summary = summary(total, rows, start, end);
        Files.writeString(summaryFile, summary);
        return summary;
    }

    private static Key key(Phase phase) {
        Matcher m = SECOND.matcher(phase.name());
        if (!m.matches()) {
            throw new IllegalArgumentException("phase '" + phase.name() + "' is not named sNNNN or sNNNN-MODEL (the second it covers)");
        }
        return new Key(Integer.parseInt(m.group(1)), m.group(2) == null ? "" : m.group(2));
    }

    /** A second of arrivals, and the model they were sent to ("" when the run drives one model). */
    private record Key(int second, String model) implements Comparable<Key> {
        @Override
        public int compareTo(Key o) {
            int c = Integer.compare(second, o.second);
            return c != 0 ? c : model.compareTo(o.model);
        }
    }

    private record Row(Key key, StatisticsSnapshot stats) {
    }

    static final String HEADER = "second,model,epoch_ms,requests,responses,status_2xx,status_3xx,status_4xx,status_5xx,status_other,"
            + "connection_errors,timeouts,internal_errors,blocked_ms,mean_ms,p50_ms,p90_ms,p99_ms,p999_ms,max_ms";

    private static void writeSamples(Path csv, Map<Key, Row> rows) throws IOException {
        try (PrintWriter out = new PrintWriter(Files.newBufferedWriter(csv))) {
            out.println(HEADER);
            for (Row r : rows.values()) {
                StatisticsSnapshot s = r.stats;
                HttpStats http = HttpStats.get(s);
                out.printf(Locale.ROOT, "%d,%s,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%.3f,%s%n", r.key.second, r.key.model, s.histogram.getStartTimeStamp(),
                        s.requestCount, s.responseCount, http.status_2xx, http.status_3xx, http.status_4xx, http.status_5xx,
                        http.status_other, s.connectionErrors, s.requestTimeouts, s.internalErrors, s.blockedTime / 1e6,
                        latencies(s));
            }
        }
    }

    /** mean, p50, p90, p99, p99.9 and max in milliseconds (Hyperfoil records nanoseconds); empty when nothing was answered. */
    private static String latencies(StatisticsSnapshot s) {
        if (s.histogram.getTotalCount() == 0) {
            return ",,,,,";
        }
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%.3f", s.histogram.getMean() / 1e6));
        for (double p : PERCENTILES) {
            b.append(String.format(Locale.ROOT, ",%.3f", s.histogram.getValueAtPercentile(p) / 1e6));
        }
        return b.append(String.format(Locale.ROOT, ",%.3f", s.histogram.getMaxValue() / 1e6)).toString();
    }

    private static String summary(StatisticsSnapshot t, Map<Key, Row> rows, long start, long end) {
        HttpStats http = HttpStats.get(t);
        int seconds = rows.isEmpty() ? 0 : rows.keySet().stream().mapToInt(Key::second).max().getAsInt() + 1;
        double duration = Math.max(1, seconds);
        String[] lat = latencies(t).split(",", -1);
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "requests=%d%n", t.requestCount));
        b.append(String.format(Locale.ROOT, "responses=%d%n", t.responseCount));
        b.append(String.format(Locale.ROOT, "status_2xx=%d%nstatus_3xx=%d%nstatus_4xx=%d%nstatus_5xx=%d%nstatus_other=%d%n",
                http.status_2xx, http.status_3xx, http.status_4xx, http.status_5xx, http.status_other));
        b.append(String.format(Locale.ROOT, "connection_errors=%d%ntimeouts=%d%ninternal_errors=%d%n",
                t.connectionErrors, t.requestTimeouts, t.internalErrors));
        b.append(String.format(Locale.ROOT, "blocked_ms=%.3f%n", t.blockedTime / 1e6));
        String[] names = {"mean_ms", "p50_ms", "p90_ms", "p99_ms", "p999_ms", "max_ms"};
        for (int i = 0; i < names.length; i++) {
            b.append(names[i]).append('=').append(lat[i]).append('\n');
        }
        b.append(String.format(Locale.ROOT, "load_seconds=%d%n", seconds));
        b.append(String.format(Locale.ROOT, "wall_seconds=%.1f%n", (end - start) / 1000.0));
        b.append(String.format(Locale.ROOT, "throughput_rps=%.1f%n", http.status_2xx / duration));
        return b.toString();
    }
}

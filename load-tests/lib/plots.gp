# Plots of one load run (called by load-tests/lib/common.sh 'plots'): dir, replicas (files) and title are set on
# the command line. Time 0 is the first second of load.
set terminal pngcairo size 1000,420 font ",10"
set grid
set key outside right top
set xlabel "seconds since the load started"
data = dir . "/.per-second.dat"

set output dir . "/latency.png"
set title (title eq "" ? "" : title . ": ") . "latency by second of arrival (ms, log scale)"
set logscale y
set ylabel "ms"
plot data using 1:5 with linespoints pt 7 ps 0.4 title "p50", \
     data using 1:6 with linespoints pt 7 ps 0.4 title "p90", \
     data using 1:7 with linespoints pt 7 ps 0.4 title "p99", \
     data using 1:8 with linespoints pt 7 ps 0.4 title "p99.9"
unset logscale y

set output dir . "/throughput.png"
set title (title eq "" ? "" : title . ": ") . "requests per second"
set ylabel "requests/s"
set yrange [0:*]
plot data using 1:2 with steps lw 2 title "sent (offered)", \
     data using 1:3 with steps lw 2 title "answered 2xx", \
     data using 1:4 with steps lw 2 title "errors (non-2xx, failed)"

set output dir . "/replicas.png"
set title (title eq "" ? "" : title . ": ") . "replicas from the gateway's /q/metrics (scraped every second)"
set ylabel "replicas"
set offsets 0, 0, 0.5, 0
set ytics 1
set y2label "requests waiting"
set y2tics
set ytics nomirror
set yrange [0:*]
set y2range [0:*]
if (strlen(replicas) == 0) {
  set label 1 "no gateway metrics in this run" at graph 0.4, graph 0.5
  plot NaN notitle
} else {
  plot for [f in replicas] f using 1:2 with steps lw 2 title "desired " . system("basename " . f . " .dat | sed s/^.replicas-//"), \
       for [f in replicas] f using 1:3 with steps lw 2 dt 2 title "ready " . system("basename " . f . " .dat | sed s/^.replicas-//"), \
       for [f in replicas] f using 1:4 axes x1y2 with lines lw 1 title "waiting " . system("basename " . f . " .dat | sed s/^.replicas-//")
}

# cpu.gp - throughput (left) and p99 latency (right) against CPU time per event, one point per
# topology and queue/wait variant, labelled with the topology. Log-log.
# Parameters: datafile, nseries, series[] (variants), colors[], have_p99, chart_title.
# Data: one block per variant, rows: cpu_ns_per_event throughput_eps p99_ns "topology".
do for [qtp_i=1:2] {
    eval qtp_output(qtp_i)
    if (have_p99) {
        set multiplot layout 1,2 title chart_title font ",14"
    } else {
        set multiplot layout 1,1 title chart_title font ",14"
    }
    set logscale xy
    set grid xtics ytics lc rgb "#dddddd" lw 1
    set xlabel "CPU time per event (ns, user + sys)"
    set key top left
    set format y "%.1s%c"
    set title "throughput"
    set ylabel "events/s"
    plot for [s=1:nseries] datafile index (s - 1) using 1:2 with points pt 7 ps 1.3 lc rgb colors[s] title series[s], \
         for [s=1:nseries] datafile index (s - 1) using 1:2:4 with labels offset 0,0.9 font ",8" tc rgb colors[s] notitle
    if (have_p99) {
        set title "p99 latency"
        set ylabel "p99 (ns)"
        set format y "%.0s%c"
        plot for [s=1:nseries] datafile index (s - 1) using 1:3 with points pt 7 ps 1.3 lc rgb colors[s] title series[s], \
             for [s=1:nseries] datafile index (s - 1) using 1:3:4 with labels offset 0,0.9 font ",8" tc rgb colors[s] notitle
    }
    unset multiplot
    set output
    unset logscale
}

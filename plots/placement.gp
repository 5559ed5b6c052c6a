# placement.gp - throughput (top: median, min-max whiskers) and p99 latency (bottom: median over
# the reps) of each topology and queue/wait under each placement policy that ran; log y.
# Parameters: datafile, ngroups, groups[], xtic_rotate (1: many groups, slanted labels),
#             nseries, series[] (placements), colors[], barwidth,
#             have_p99 (0: no latency recorded, throughput only), chart_title.
# Data: one block per placement, rows: x tput_median tput_min tput_max p99_seconds "group".
do for [qtp_i=1:2] {
    eval qtp_output(qtp_i)
    set multiplot layout (have_p99 ? 2 : 1),1 title chart_title font ",14"
    set xrange [0.5:ngroups + 0.5]
    set xtics () scale 0
    do for [g=1:ngroups] {
        set xtics add (groups[g] g)
    }
    set boxwidth barwidth absolute
    if (xtic_rotate) {
        set xtics rotate by 30 right
        set bmargin 9
    } else {
        set bmargin 4.5
    }
    set logscale y
    set key outside right top vertical
    set title "throughput"
    set ylabel "events per second (log)"
    set format y "%.0s%c"
    plot for [s=1:nseries] datafile index (s - 1) using 1:2 with boxes lc rgb colors[s] title series[s], \
         for [s=1:nseries] datafile index (s - 1) using 1:2:3:4 with yerrorbars lc rgb "#111111" lw 1.2 pt 0 notitle
    if (have_p99) {
        set title "p99 latency"
        set ylabel "p99 latency (log)"
        set format y "%.0s%cs"
        plot for [s=1:nseries] datafile index (s - 1) using 1:5 with boxes lc rgb colors[s] notitle
    }
    unset multiplot
    set output
}

# throughput.gp - events per second for each topology, one bar per queue/wait: the median over the
# reps, whiskers from the slowest to the fastest rep; log y.
# Parameters: datafile, ngroups, groups[ngroups], xtic_rotate (1: many groups, slanted
#             labels), nseries, series[nseries], colors[nseries],
#             barwidth, chart_title.
# Data: one block per series (index s-1), rows: x median min max "group".
do for [qtp_i=1:2] {
    eval qtp_output(qtp_i)
    set title chart_title font ",14"
    set ylabel "events per second (log scale)"
    set logscale y
    set format y "%.0s%c"
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
    set key outside right top vertical
    plot for [s=1:nseries] datafile index (s - 1) using 1:2 with boxes lc rgb colors[s] title series[s], \
         for [s=1:nseries] datafile index (s - 1) using 1:2:3:4 with yerrorbars lc rgb "#111111" lw 1.2 pt 0 notitle
    set output
}

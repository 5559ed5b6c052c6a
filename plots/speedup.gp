# speedup.gp - the ring's throughput divided by each mutex queue's, per topology and ring wait
# strategy (medians over the reps); log y with the 1x line dashed: above it the ring is faster.
# Parameters: datafile, ngroups, groups[], xtic_rotate (1: many groups, slanted labels),
#             nseries, nsolid (series 1..nsolid are over the first
#             mutex queue and drawn solid, the others hatched), series[], colors[], barwidth,
#             ymin, ymax, chart_title.
# Data: one block per series, rows: x ratio "group".
do for [qtp_i=1:2] {
    eval qtp_output(qtp_i)
    set title chart_title font ",14"
    set ylabel "ring ÷ mutex queue throughput (log scale)"
    set logscale y
    set yrange [ymin:ymax]
    set format y "%g×"
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
    set arrow 1 from graph 0, first 1 to graph 1, first 1 nohead lw 2 dt 2 lc rgb "#000000" front
    set key outside right top vertical
    plot for [s=1:nsolid] datafile index (s - 1) using 1:2 with boxes fs solid 1.0 lc rgb colors[s] title series[s], \
         for [s=nsolid + 1:nseries] datafile index (s - 1) using 1:2 with boxes fs pattern 4 lc rgb colors[s] title series[s], \
         for [s=1:nseries] datafile index (s - 1) using 1:2:(qtp_ratio($2)) with labels rotate by 90 left offset 0,0.4 font ",9" notitle
    set output
}

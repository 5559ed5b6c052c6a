# alloc.gp - allocator calls (top) and bytes (bottom) per event in the measured window, per
# topology and queue kind (median over the cells and reps). Linear y from 0; every bar carries its
# value, and a zero is a labelled 0 with a marker in the series' colour on the axis, rather
# than nothing.
# Parameters: datafile, ngroups, groups[], xtic_rotate (1: many groups, slanted labels),
#             nseries, series[] (queue kinds), colors[], barwidth,
#             ymax_calls, ymax_bytes, chart_title.
# Data: one block per queue kind, rows: x calls_per_event bytes_per_event "group".
do for [qtp_i=1:2] {
    eval qtp_output(qtp_i)
    set multiplot layout 2,1 title chart_title font ",14"
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
    set key top left
    set title "allocation calls per event"
    set ylabel "calls per event"
    set yrange [0:ymax_calls]
    plot for [s=1:nseries] datafile index (s - 1) using 1:2 with boxes lc rgb colors[s] title series[s], \
         for [s=1:nseries] datafile index (s - 1) using 1:($2 == 0 ? 0 : NaN) with points pt 5 ps 0.9 lc rgb colors[s] notitle, \
         for [s=1:nseries] datafile index (s - 1) using 1:2:(qtp_num($2)) with labels offset 0,0.8 font ",9" notitle
    set title "bytes allocated per event"
    set ylabel "bytes per event"
    set yrange [0:ymax_bytes]
    plot for [s=1:nseries] datafile index (s - 1) using 1:3 with boxes lc rgb colors[s] title series[s], \
         for [s=1:nseries] datafile index (s - 1) using 1:($3 == 0 ? 0 : NaN) with points pt 5 ps 0.9 lc rgb colors[s] notitle, \
         for [s=1:nseries] datafile index (s - 1) using 1:3:(qtp_num($3)) with labels offset 0,0.8 font ",9" notitle
    unset multiplot
    set output
}

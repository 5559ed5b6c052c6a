# published.gp - a reproduced experiment: each row's ratio as published on each of the source's
# machines and as measured here, grouped by row; log y with the 1x line dashed.
# Parameters: datafile, ngroups, groups[], nseries, series[], colors[], barwidth, ymin, ymax,
#             chart_title.
# Data: one block per series (the source's machines, then "measured here"), rows: x ratio "row".
do for [qtp_i=1:2] {
    eval qtp_output(qtp_i)
    set title chart_title font ",14"
    set ylabel "ratio (log scale)"
    set logscale y
    set yrange [ymin:ymax]
    set format y "%g×"
    set xrange [0.5:ngroups + 0.5]
    set xtics () scale 0
    do for [g=1:ngroups] {
        set xtics add (groups[g] g)
    }
    set xtics rotate by 30 right
    set bmargin 9
    set boxwidth barwidth absolute
    set arrow 1 from graph 0, first 1 to graph 1, first 1 nohead lw 2 dt 2 lc rgb "#000000" front
    set key outside right top vertical
    plot for [s=1:nseries] datafile index (s - 1) using 1:2 with boxes fs solid 1.0 lc rgb colors[s] title series[s], \
         for [s=1:nseries] datafile index (s - 1) using 1:2:(qtp_ratio($2)) with labels rotate by 90 left offset 0,0.4 font ",8" notitle
    set output
}

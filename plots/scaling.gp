# scaling.gp - throughput against the fan-out N and the shard count N (one panel each, when the
# results hold such a sweep), one line per queue/wait: median with min-max whiskers; log y, log2 x.
# Parameters: datafile, npanels, panel_title[], panel_xlabel[], pfirst[], plast[] (data blocks of
#             each panel, 1-based), pxmin[], pxmax[], line_title[], line_color[], chart_title.
# Data: one block per line, rows: N median min max.
do for [qtp_i=1:2] {
    eval qtp_output(qtp_i)
    set multiplot layout 1,npanels title chart_title font ",14"
    set logscale x 2
    set logscale y
    set format y "%.0s%c"
    set ylabel "events per second (log)"
    set key bottom left
    do for [p=1:npanels] {
        set title panel_title[p]
        set xlabel panel_xlabel[p]
        set xrange [pxmin[p]:pxmax[p]]
        plot for [j=pfirst[p]:plast[p]] datafile index (j - 1) using 1:2:3:4:xtic(1) with yerrorlines lw 2 pt 7 ps 0.8 lc rgb line_color[j] title line_title[j]
    }
    unset multiplot
    set output
}

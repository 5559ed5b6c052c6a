# latency.gp - latency at each percentile, HdrHistogram style: x = 1/(1-p) on a log axis labelled
# with the percentile, y = latency (log), one panel per topology, one line per queue/wait.
# Parameters: datafile, npanels, nrows, ncols, panel_title[npanels], pfirst[], plast[] (the
#             data blocks of each panel, 1-based), line_title[], line_color[], xmax, chart_title.
# Data: one block per line, rows: latency_seconds 1/(1-p) p.
do for [qtp_i=1:2] {
    eval qtp_output(qtp_i)
    set multiplot layout nrows,ncols title chart_title font ",14"
    set logscale xy
    set xrange [1:xmax]
    set xtics ("50%%" 2, "90%%" 10, "99%%" 100, "99.9%%" 1000, "99.99%%" 10000, "99.999%%" 100000, "99.9999%%" 1000000)
    set format y "%.0s%cs"
    set xlabel "percentile"
    set ylabel "latency (log scale)"
    set grid xtics ytics lc rgb "#dddddd"
    set key bottom right
    do for [p=1:npanels] {
        set title panel_title[p]
        plot for [j=pfirst[p]:plast[p]] datafile index (j - 1) using 2:1 with lines lw 2 lc rgb line_color[j] title line_title[j]
    }
    unset multiplot
    set output
}

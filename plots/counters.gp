# counters.gp - kernel event counts per event over the measured window (perf_event_open, summed
# over the rep's threads, median over the ok reps), one panel per event this run could count,
# one bar per cell in the colour of its queue/wait. Events it could not count are not drawn: the
# page says which and why.
# Parameters: datafile, npanels, panel_title[], panel_col[] (the data column), ncells,
#             chart_title.
# Data: one row per cell: x "label" colour(0xRRGGBB) value per event ("?" when not counted).
do for [qtp_i=1:2] {
    eval qtp_output(qtp_i)
    set multiplot layout npanels,1 title chart_title font ",14"
    set xrange [0.5:ncells + 0.5]
    set xtics rotate by 30 right font ",9"
    set bmargin 8
    set boxwidth 0.7 absolute
    set yrange [0:*]
    set ylabel "per event"
    do for [p=1:npanels] {
        set title panel_title[p]
        plot datafile using 1:(column(panel_col[p])):(0.7):3:xtic(2) with boxes lc rgb variable notitle, \
             datafile using 1:(column(panel_col[p])):(qtp_num(column(panel_col[p]))) with labels offset 0,0.7 font ",8" notitle
    }
    unset multiplot
    set output
}

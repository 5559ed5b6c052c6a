# series.gp - inside one representative rep of each queue/wait of a topology, from the sampler
# (series/<cell>.r<rep>.csv): left, the events waiting in front of each stage (over a ring: how
# far it is behind what it waits on; over queues: their length); right, the throughput of each
# sample period (what every terminal finished). A flat line at 0 on the right is a stall.
# Parameters: datafile, nvar, var_title[], var_color[], nstage, stage_title[], chart_title.
# Data: one block per queue/wait, rows: t_ms events_per_s depth per stage.
do for [qtp_i=1:2] {
    eval qtp_output(qtp_i)
    set multiplot layout nvar,2 title chart_title font ",14"
    set xlabel "ms since the window opened"
    set key top right font ",9"
    set grid xtics ytics lc rgb "#dddddd"
    set yrange [0:*]
    do for [v=1:nvar] {
        set title var_title[v]
        set ylabel "events waiting"
        plot for [s=1:nstage] datafile index (v - 1) using 1:(column(s + 2)) with lines lw 1.5 lc s title stage_title[s]
        set title var_title[v]." - throughput"
        set ylabel "events/s"
        plot datafile index (v - 1) using 1:2 with steps lw 1.5 lc rgb var_color[v] notitle
    }
    unset multiplot
    set output
}

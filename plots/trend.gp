# trend.gp - throughput and p99 latency per cell across commits, from scripts/trend's data.
#
# Driven by scripts/trend, which reads the history ci-regress appends to and passes:
#   datafile  one block per cell (blocks separated by two blank lines), rows:
#             x  commit  throughput_eps  p99_ns  throughput_relative_to_the_cell's_first_commit
#   varsfile  sets ncells, cellname(i) (1-based; the parts of the cell ids that differ), common
#             (the parts every cell shares) and the commit labels on the x axis
#   outbase   output path without extension; writes outbase-{throughput,p99,relative}.{svg,png}
load varsfile

set grid ytics xtics lc rgb '#dddddd'
set key outside right top noenhanced font ',9'
set xtics rotate by -45 noenhanced font ',9'
set xlabel 'commit (oldest left)'
set pointsize 0.8
set style data linespoints
set datafile missing '?'

do for [fmt in 'svg png'] {
    if (fmt eq 'svg') {
        set terminal svg size 1100,560 dynamic font 'sans,11' background rgb 'white'
    } else {
        set terminal pngcairo size 1100,560 font 'sans,10' background rgb 'white'
    }

    set output outbase.'-throughput.'.fmt
    sub = (common eq '') ? '' : "\n{/*0.8 every cell: ".common."}"
    set title 'Throughput per cell (median over reps)'.sub
    set ylabel 'events/s'
    set logscale y
    set format y '%.0s%c'
    plot for [i=1:ncells] datafile index (i-1) using 1:3 title cellname(i) lw 1.5

    set output outbase.'-p99.'.fmt
    set title 'p99 end-to-end latency per cell (median over reps)'.sub
    set ylabel 'ns'
    plot for [i=1:ncells] datafile index (i-1) using 1:4 title cellname(i) lw 1.5

    set output outbase.'-relative.'.fmt
    set title "Throughput relative to each cell's first commit (below 1: slower)".sub
    set ylabel 'ratio'
    unset logscale y
    set format y '%.2f'
    plot for [i=1:ncells] datafile index (i-1) using 1:5 title cellname(i) lw 1.5, \
         1 notitle lc rgb '#888888' dt 2 with lines
    unset output
}

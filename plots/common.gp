# common.gp - shared by every qtopo chart. `qtopo report` writes each chart's script as: the
# chart's parameters (data file, output names, size, titles, arrays), this file, then the chart's
# template (throughput.gp, ...). Every script draws its chart twice: SVG for the page, PNG for
# slides and chat (pngcairo when this gnuplot has it, else the libgd png terminal).
pngterm = strstrt(" ".GPVAL_TERMINALS." ", " pngcairo ") > 0 ? "pngcairo" : "png"
qtp_output(i) = (i == 1) \
    ? sprintf("set terminal svg size %d,%d noenhanced font 'sans-serif,12' background rgb 'white'; set output '%s'", width, height, svgfile) \
    : sprintf("set terminal %s size %d,%d noenhanced font 'sans-serif,10' background rgb 'white'; set output '%s'", pngterm, width, height, pngfile)
# A number as a short label: 0 exactly as "0" (the allocation chart draws zero as a labelled 0).
qtp_num(v) = (v != v) ? "" : (v == int(v) ? sprintf("%d", int(v)) : (abs(v) >= 100 ? sprintf("%.0f", v) : (abs(v) >= 10 ? sprintf("%.1f", v) : sprintf("%.2f", v))))
# A ratio as a label: "12×", "3.4×", "0.045×".
qtp_ratio(v) = v >= 10 ? sprintf("%.0f×", v) : (v >= 1 ? sprintf("%.1f×", v) : sprintf("%.2g×", v))
set encoding utf8
set datafile missing "?"
set style fill solid 1.0 border rgb "#333333"
set border 3 lc rgb "#444444"
set tics nomirror
set grid ytics lc rgb "#dddddd" lw 1
set key noautotitle samplen 2 spacing 1.1

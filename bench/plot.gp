# Chart of a rill_bench run: throughput of W1-W13 per peer (log scale,
# median with min-max bars) and rill / best peer for every workload, size
# and producer count. run.sh calls it as
#   gnuplot -e "dir='bench/results'; npeers=6; subtitle='...'" bench/plot.gp
# on the files rill_bench --out writes (latest.dat, latest-ratio.dat).
if (!exists("dir")) dir = "bench/results"
if (!exists("npeers")) npeers = 6
if (!exists("subtitle")) subtitle = ""
data = dir . "/latest.dat"
ratio = dir . "/latest-ratio.dat"

set terminal pngcairo size 1500,1100 font "sans,10" noenhanced
set output dir . "/latest.png"
set datafile missing "-"
set multiplot layout 2,1 title "rill_bench: rill vs peers\n" . subtitle font "sans,12"

# ---- top: W1-W13 throughput ----------------------------------------------------------
set title "W1-W13: million messages (W7, W9: round trips) per second, median of runs with min-max; log scale, higher is better"
set style data histograms
set style histogram errorbars gap 2 lw 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set logscale y
set format y "%g"
set yrange [0.005:*]
set grid ytics
set key outside right top vertical
set xtics nomirror
set ytics nomirror
set linetype 1 lc rgb "#d62728"
set linetype 2 lc rgb "#1f77b4"
set linetype 3 lc rgb "#9ecae1"
set linetype 4 lc rgb "#2ca02c"
set linetype 5 lc rgb "#ff7f0e"
set linetype 6 lc rgb "#7f7f7f"
set linetype 7 lc rgb "#bcbd22"
# the peers in other languages (bench/external)
set linetype 8 lc rgb "#8c564b"
set linetype 9 lc rgb "#e377c2"
set linetype 10 lc rgb "#17becf"
set linetype 11 lc rgb "#9467bd"
set linetype 12 lc rgb "#393b79"
plot for [i=0:npeers-1] data using (column(2+3*i)):(column(3+3*i)):(column(4+3*i)):xtic(1) \
     title columnheader(2+3*i) linetype i+1

# ---- bottom: rill / best peer ------------------------------------------------------------
set title "rill / best peer on the same workload (> 1: rill is faster); size sweep on spsc bounded(1024), producer scaling on mpsc bounded(1024)"
unset logscale y
set logscale y 2
set yrange [*:*]
set autoscale y
set style data boxes
set style fill solid 0.85 border -1
set boxwidth 0.7
set xtics rotate by -30
unset key
set arrow 1 from graph 0, first 1 to graph 1, first 1 nohead lc rgb "black" lw 1.5 dt 2 front
plot ratio skip 1 using 0:($2 >= 1 ? $2 : 1/0):xtic(1) with boxes lc rgb "#2ca02c", \
     ratio skip 1 using 0:($2 < 1 ? $2 : 1/0) with boxes lc rgb "#d62728", \
     ratio skip 1 using 0:2:(sprintf("%.2f", $2)) with labels offset 0,0.7 font "sans,8"
unset multiplot

# Wake-to-run latency CDF
# Fraction of wake-ups (blocked -> runnable, or a wake event) of every domU vCPU that were running again within x, per policy, log x axis, pooled over repetitions. The points with horizontal error bars are the medians over repetitions of each run's p50, p90 and p99 with their 95 % bootstrap intervals. Measured between trace timestamps; times are instruction counts under icount. Zero latencies are drawn at 1 ns.
set terminal pngcairo size 900,500 font 'sans,10'
set output 'wake_cdf.png'
set datafile separator '\t'
set grid ytics lc rgb '#dddddd'
set key outside right top
set border 3
set tics nomirror
set title 'Wake-to-run latency CDF'
set logscale x 10
set xlabel 'wake-to-run latency (us; deterministic mode: 1000 instructions)'
set ylabel 'fraction of wake-ups'
set yrange [0:1.02]
set key inside bottom right
plot 'wake_cdf-credit.dat' using 1:2 with steps lw 2 lc 1 title 'credit', \
     'wake_cdf-credit-ci.dat' using 2:1:3:4 with xerrorbars pt 7 ps 0.6 lc 1 notitle, \
     'wake_cdf-rtds.dat' using 1:2 with steps lw 2 lc 2 title 'rtds', \
     'wake_cdf-rtds-ci.dat' using 2:1:3:4 with xerrorbars pt 7 ps 0.6 lc 2 notitle
set terminal svg size 900,500 font 'sans,10' background rgb 'white'
set output 'wake_cdf.svg'
replot
unset output

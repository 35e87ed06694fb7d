# Context switches and migrations per second
# TRC_SCHED_SWITCH and TRC_SCHED_MIGRATE records divided by the traced interval, all pCPUs together; times are instruction counts under icount. Bars: medians over repetitions; error bars: their 95 % bootstrap confidence intervals (docs/statistics.md).
set terminal pngcairo size 900,500 font 'sans,10'
set output 'switches.png'
set datafile separator '\t'
set grid ytics lc rgb '#dddddd'
set key outside right top
set border 3
set tics nomirror
set title 'Context switches and migrations per second'
set ylabel 'per second of guest time (10^9 instructions)'
set style data histogram
set style histogram errorbars gap 1 lw 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set yrange [0:*]
set xtics rotate by -20
plot 'switches.dat' using 2:3:4:xtic(1) title 'context switches', \
     '' using 5:6:7 title 'migrations'
set terminal svg size 900,500 font 'sans,10' background rgb 'white'
set output 'switches.svg'
replot
unset output

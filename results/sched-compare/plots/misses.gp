# Real-time periods missed
# For each real-time domain (period and budget, no extratime): the percentage of its periods (counted from its first activation) in which it ran for less than its budget although it was kept waiting for the CPU (not blocked by choice), computed from runstate events whatever the policy, and the misses the policy itself reported (rtds TRC_RTDS_MISS) per 100 periods; times are instruction counts under icount. Bars: medians over repetitions; error bars: their 95 % bootstrap confidence intervals (docs/statistics.md).
set terminal pngcairo size 900,500 font 'sans,10'
set output 'misses.png'
set datafile separator '\t'
set grid ytics lc rgb '#dddddd'
set key outside right top
set border 3
set tics nomirror
set title 'Real-time periods missed'
set ylabel '% of periods'
set style data histogram
set style histogram errorbars gap 1 lw 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set yrange [0:*]
set xtics rotate by -20
plot 'misses.dat' using 2:3:4:xtic(1) title 'ran less than budget', \
     '' using 5:6:7 title 'reported by the policy'
set terminal svg size 900,500 font 'sans,10' background rgb 'white'
set output 'misses.svg'
replot
unset output

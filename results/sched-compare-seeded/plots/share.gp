# CPU share vs weight
# Each weighted domain's running time as a percentage of the running time of all weighted domains, per policy, next to its weight's share of the total weight (the ideal). Running time is summed from runstate events; times are instruction counts under icount. Bars: medians over repetitions; error bars: their 95 % bootstrap confidence intervals (docs/statistics.md).
set terminal pngcairo size 900,500 font 'sans,10'
set output 'share.png'
set datafile separator '\t'
set grid ytics lc rgb '#dddddd'
set key outside right top
set border 3
set tics nomirror
set title 'CPU share vs weight'
set ylabel 'share of weighted domains'' CPU time (%)'
set style data histogram
set style histogram errorbars gap 1 lw 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set yrange [0:*]
set xtics rotate by -20
plot 'share.dat' using 2:3:4:xtic(1) title 'ideal (weight share)', \
     '' using 5:6:7 title 'credit', \
     '' using 8:9:10 title 'rtds'
set terminal svg size 900,500 font 'sans,10' background rgb 'white'
set output 'share.svg'
replot
unset output

# Schedule of the first 100 ms: rtds
# Which domain's vCPU ran on each pCPU during the first 100 ms of the measured window (after the warm-up) of one run under rtds, from runstate events; white is idle; times are instruction counts under icount.
set terminal pngcairo size 1000,280 font 'sans,10'
set output 'gantt-rtds.png'
set datafile separator '\t'
set grid xtics lc rgb '#dddddd'
set key outside right top
set border 3
set tics nomirror
set title 'Schedule of the first 100 ms: rtds'
set xlabel 'time since the measured window began (ms; deterministic mode: millions of instructions)'
set xrange [0:100]
set yrange [-0.6:1.6]
set ytics ('pCPU 0' 0, 'pCPU 1' 1)
set style fill solid 1.0 noborder
plot 'gantt-rtds.dat' using 1:2:3:4:5 with boxxyerror lc rgb variable notitle, \
     NaN with boxes fs solid lc rgb '#4d4d4d' title 'Domain-0', \
     NaN with boxes fs solid lc rgb '#0072b2' title 'hog1', \
     NaN with boxes fs solid lc rgb '#e69f00' title 'hog2', \
     NaN with boxes fs solid lc rgb '#009e73' title 'hog4', \
     NaN with boxes fs solid lc rgb '#cc79a7' title 'sleeper', \
     NaN with boxes fs solid lc rgb '#56b4e9' title 'rt'
set terminal svg size 1000,280 font 'sans,10' background rgb 'white'
set output 'gantt-rtds.svg'
replot
unset output

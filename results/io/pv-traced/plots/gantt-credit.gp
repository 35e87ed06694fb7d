# Schedule of the first 100 ms: credit
# Which domain's vCPU ran on each pCPU during the first 100 ms of the trace under credit, from runstate events; white is idle; times are instruction counts under icount.
set terminal pngcairo size 1000,220 font 'sans,10'
set output 'gantt-credit.png'
set datafile separator '\t'
set grid xtics lc rgb '#dddddd'
set key outside right top
set border 3
set tics nomirror
set title 'Schedule of the first 100 ms: credit'
set xlabel 'time since trace start (ms; deterministic mode: millions of instructions)'
set xrange [0:100]
set yrange [-0.6:0.6]
set ytics ('pCPU 0' 0)
set style fill solid 1.0 noborder
plot 'gantt-credit.dat' using 1:2:3:4:5 with boxxyerror lc rgb variable notitle, \
     NaN with boxes fs solid lc rgb '#4d4d4d' title 'Domain-0', \
     NaN with boxes fs solid lc rgb '#0072b2' title 'bench'
set terminal svg size 1000,220 font 'sans,10' background rgb 'white'
set output 'gantt-credit.svg'
replot
unset output

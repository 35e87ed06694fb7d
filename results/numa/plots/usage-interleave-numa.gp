# Frames per node over time: interleave-numa
# Frames the membench domains hold on each node, from the trace's TRC_MEM_POLICY (each frame placed) and TRC_MEM_MIGRATE (frames moved) records, from trace start.
set terminal pngcairo size 800,380 font 'sans,10'
set output 'usage-interleave-numa.png'
set datafile separator '\t'
set grid ytics lc rgb '#dddddd'
set key outside right top
set border 3
set tics nomirror
set termoption noenhanced
set title 'Frames per node over time: interleave-numa'
set xlabel 'ms since trace start (guest time)'
set ylabel 'frames (4 KiB) of the membench domains'
set yrange [0:*]
plot 'usage-interleave-numa.dat' using 1:2 title 'node 0' with steps lw 2 lc rgb '#0072b2', \
     '' using 1:3 title 'node 1' with steps lw 2 lc rgb '#e69f00', \
     '' using 1:4 title 'node 2' with steps lw 2 lc rgb '#009e73', \
     '' using 1:5 title 'node 3' with steps lw 2 lc rgb '#cc79a7'
set terminal svg size 800,380 font 'sans,10' background rgb 'white'
set output 'usage-interleave-numa.svg'
replot
unset output

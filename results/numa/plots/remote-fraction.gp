# Remote memory accesses
# The fraction of the membench domains' loads and stores that went to another node (cost-model plugin), per configuration and scheduler.
set terminal pngcairo size 900,450 font 'sans,10'
set output 'remote-fraction.png'
set datafile separator '\t'
set grid ytics lc rgb '#dddddd'
set key outside right top
set border 3
set tics nomirror
set termoption noenhanced
set title 'Remote memory accesses'
set ylabel 'remote fraction'
set style data histogram
set style histogram cluster gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set yrange [0:*]
set xtics rotate by -20
plot 'remote-fraction.dat' using (valid(2) ? $2 : 0):xtic(1) title 'numa' lc rgb '#0072b2', \
     '' using (valid(3) ? $3 : 0) title 'credit2' lc rgb '#e69f00'
set terminal svg size 900,450 font 'sans,10' background rgb 'white'
set output 'remote-fraction.svg'
replot
unset output

# path length, PV = 1 (no native base)
# Rows without a usable native cell (two domains, a driver the native build lacks, or a native figure that follows host timing): path length as in the first figure, over PV's.
set terminal pngcairo size 1000,500 font 'sans,10'
set output 'norm-pv-path.png'
set datafile separator '\t'
set grid ytics lc rgb '#dddddd'
set key outside right top
set border 3
set tics nomirror
set termoption noenhanced
set title 'path length, PV = 1 (no native base)'
set ylabel 'path length / PV'
set style data histogram
set style histogram cluster gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set logscale y
set arrow from graph 0, first 1 to graph 1, first 1 nohead lc rgb '#000000' dt 2
set yrange [0.5:*]
set xtics rotate by -30
plot 'norm-pv-path.dat' using (valid(2) ? $2 : 1e-9):xtic(1) title 'pv' lc rgb '#0072b2', \
     '' using (valid(3) ? $3 : 1e-9) title 'hvm' lc rgb '#e69f00', \
     '' using (valid(4) ? $4 : 1e-9) title 'pvhvm' lc rgb '#009e73'
set terminal svg size 1000,500 font 'sans,10' background rgb 'white'
set output 'norm-pv-path.svg'
replot
unset output

# modelled cycles, AMD Zen 4, native = 1
# Modelled cycles per operation with the cost table costs/amd-zen4.toml (AMD Zen 4): the plugin's event counts per operation times the table's cost per event, each mode over native's; log scale.
set terminal pngcairo size 1000,500 font 'sans,10'
set output 'norm-cycles-amd-zen-4.png'
set datafile separator '\t'
set grid ytics lc rgb '#dddddd'
set key outside right top
set border 3
set tics nomirror
set termoption noenhanced
set title 'modelled cycles, AMD Zen 4, native = 1'
set ylabel 'modelled cycles, AMD Zen 4 / native'
set style data histogram
set style histogram cluster gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set logscale y
set arrow from graph 0, first 1 to graph 1, first 1 nohead lc rgb '#000000' dt 2
set yrange [0.5:*]
set xtics rotate by -30
plot 'norm-cycles-amd-zen-4.dat' using (valid(2) ? $2 : 1e-9):xtic(1) title 'pv' lc rgb '#0072b2', \
     '' using (valid(3) ? $3 : 1e-9) title 'hvm' lc rgb '#e69f00', \
     '' using (valid(4) ? $4 : 1e-9) title 'pvhvm' lc rgb '#009e73'
set terminal svg size 1000,500 font 'sans,10' background rgb 'white'
set output 'norm-cycles-amd-zen-4.svg'
replot
unset output

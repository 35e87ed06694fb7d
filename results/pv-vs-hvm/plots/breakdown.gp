# Breakdown per operation
# One operation's instructions (the plugin's counts per operation: guest + hypervisor + dom0, idle pCPUs left out, the case's untimed part included) split into the guest's, the hypervisor's by exit or hypercall reason in proportion to their path totals in the traced run of the same cell (hlt left out: blocked time), what no reason covers (hv other: interrupt and event delivery, scheduling, PV trap bounces), and dom0's; in percent, the label giving the total. Native bars are the case's own timing, all guest.
set terminal pngcairo size 1400,600 font 'sans,10'
set output 'breakdown.png'
set datafile separator '\t'
set grid ytics lc rgb '#dddddd'
set key outside right top
set border 3
set tics nomirror
set termoption noenhanced
set title 'Where one operation goes: percent of its instructions'
set ylabel 'percent of the path length'
set style data histogram
set style histogram rowstacked
set style fill solid 0.85 border -1
set boxwidth 0.8
set yrange [0:100]
set xtics rotate by -45 font ',8'
plot 'breakdown.dat' using 2:xtic(1) title 'guest' lc rgb '#4d4d4d', \
     '' using 3 title 'hv exit ioio' lc rgb '#0072b2', \
     '' using 4 title 'hv hcall mmuext_op' lc rgb '#e69f00', \
     '' using 5 title 'hv exit npf' lc rgb '#009e73', \
     '' using 6 title 'hv exit vmmcall' lc rgb '#cc79a7', \
     '' using 7 title 'hv hcall set_timer_op' lc rgb '#56b4e9', \
     '' using 8 title 'hv hcall event_channel_op' lc rgb '#d55e00', \
     '' using 9 title 'hv hcall sched_op' lc rgb '#f0e442', \
     '' using 10 title 'hv other' lc rgb '#000000', \
     '' using 11 title 'dom0' lc rgb '#999999'
set terminal svg size 1400,600 font 'sans,10' background rgb 'white'
set output 'breakdown.svg'
replot
unset output

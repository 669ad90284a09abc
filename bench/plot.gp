# Plots of one scenario (called by bench/run.sh):
#   gnuplot -e "dir='DIR'; name='NAME'; ext='svg'" bench/plot.gp
# NAME.latency.EXT: the latency distribution as a percentile plot (x: 1/(1-p), so the tail is
# readable); NAME.timeline.EXT: the worst latency per 10 ms over the run, where stalls show up.
if (ext eq 'svg') { set terminal svg size 900,500 dynamic font 'sans,11' } else { set terminal pngcairo size 900,500 font 'sans,10' }
set grid
set key off

cdf = dir.'/'.name.'.cdf.tsv'
if (system('test -s '.cdf.' && echo yes') eq 'yes') {
  set output dir.'/'.name.'.latency.'.ext
  set title name.': latency distribution'
  set logscale x 10
  set xtics ("50%%" 2, "90%%" 10, "99%%" 100, "99.9%%" 1000, "99.99%%" 10000, "99.999%%" 100000)
  set xlabel 'percentile'
  set ylabel 'latency (ms)'
  plot cdf using (($2 >= 0.999999) ? 1e6 : 1/(1-$2)):1 with steps lw 2 lc rgb '#1f77b4'
  unset logscale x
  set xtics autofreq
}

tl = dir.'/'.name.'.timeline.tsv'
if (system('test -s '.tl.' && echo yes') eq 'yes') {
  set output dir.'/'.name.'.timeline.'.ext
  set title name.': worst latency per 10 ms'
  set xlabel 'time since start (s)'
  set ylabel 'latency (ms)'
  plot tl using 1:2 with impulses lc rgb '#d62728'
}

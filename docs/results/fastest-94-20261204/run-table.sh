#!/bin/bash
# Issue 31: hlb seed 2, then the fastest-run table of the 94% recipes, one at a time, nothing else running.
J=/work/long/jar/airbench-train.jar
D=/work/shared/data/cifar-10-binary.tar.gz
O=/work/long/s4
mkdir -p $O
( while true; do echo "$(date -u +%H:%M:%S) $(cat /proc/loadavg)"; sleep 60; done ) > $O/loadavg.txt &
LP=$!
for spec in "hlb 2" "94hiverge 0" "94muon 0" "94 0"; do
  set -- $spec
  echo "$(date -u +%H:%M:%S) start $1 seed $2" >> $O/progress.txt
  /usr/bin/time -v java -jar $J --recipe $1 --seed $2 --data-dir $D --output $O/$1 > $O/$1-seed-$2.log 2> $O/$1-seed-$2.time
  echo "$(date -u +%H:%M:%S) end $1 seed $2 rc=$?" >> $O/progress.txt
done
kill $LP

#!/usr/bin/env bash
# 94muon (2 runs) then 94 (1 run), one after the other on a quiet machine: the side-by-side timing of issue 14.
cd /work/run14
J="java -Dorg.bytedeco.javacpp.cachedir=/work/main/.cache/javacpp -jar train/target/airbench-train.jar --data-dir /work/shared/data/cifar-10-binary.tar.gz --output /work/run14/runs"
echo "94muon start $(date -u +%H:%M:%S)"; $J --recipe 94muon --runs 2 > muon.log 2>&1; echo "94muon exit $? $(date -u +%H:%M:%S)"
echo "94 start $(date -u +%H:%M:%S)"; $J --recipe 94 --seed 0 > r94.log 2>&1; echo "94 exit $? $(date -u +%H:%M:%S)"

#!/usr/bin/env bash
# The README's commands, each on a tiny configuration, against the runnable jar; one line per command
# with its exit status. readme-smoke.sh <airbench-train.jar> <scratch-dir> [data]
set -u
JAR=$(readlink -f "$1"); S=$2; DATA=${3:-/work/shared/data/cifar-10-binary.tar.gz}
rm -rf "$S"; mkdir -p "$S"; cd "$S" || exit 2
TINY=(--train-subset 1024 --batch-size 256 --epochs 1 --widths 16,32,32 --tta 0 --precision fp32 --compile none
      --data-dir "$DATA")
fails=0
run() {  # run <label> <expected exit> <command...>
    local label=$1 want=$2; shift 2
    "$@" > "$label.log" 2>&1; local rc=$?
    if [ "$rc" -eq "$want" ]; then echo "ok   $label (exit $rc)"; else echo "FAIL $label (exit $rc, wanted $want; see $S/$label.log)"; tail -3 "$label.log"; fails=1; fi
}
J=(java -jar "$JAR")
run help 0 "${J[@]}" help
run unknown-command 2 "${J[@]}" frobnicate
run unknown-recipe 2 "${J[@]}" --recipe 97 --dry-run
run list-recipes 0 "${J[@]}" --list-recipes
run dry-run 0 "${J[@]}" --recipe hlb --dry-run --data-dir "$DATA"
run train-2-runs 0 "${J[@]}" --recipe 94 --runs 2 "${TINY[@]}" --output runs
INV=$(ls -d runs/94-* | head -1)
run resume-finished 0 "${J[@]}" --resume "$INV"
run evaluate 0 "${J[@]}" evaluate --model "$INV/seed-0/model" --data-dir "$DATA"
run export-images 0 "${J[@]}" export-images --first 0 --count 3 --out images --data-dir "$DATA"
run predict 0 "${J[@]}" predict --model "$INV/seed-0/model" --top 3 images/
run plot 0 "${J[@]}" plot "$INV"
run sweep-shard-0 0 "${J[@]}" sweep --recipe 94 "${TINY[@]}" --grid flip=alternating,none --seeds 0 --shard 0/2 --output sweeps/a
run sweep-shard-1 0 "${J[@]}" sweep --recipe 94 "${TINY[@]}" --grid flip=alternating,none --seeds 0 --shard 1/2 --output sweeps/b
run merge 0 "${J[@]}" merge sweeps/a sweeps/b --output sweeps/merged
run select 0 "${J[@]}" select --runs 1 --train-subset 2048 --confidence-epochs 1 --epochs 1 --tta 0 --precision fp32 --compile none --data-dir "$DATA" --out select-tiny
run bad-option 2 "${J[@]}" --epochs banana
exit $fails

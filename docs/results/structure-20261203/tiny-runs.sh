#!/usr/bin/env bash
# Tiny, seeded training of every recipe, for a bit-exactness check of a refactor.
#
#   tiny-runs.sh <path-to-airbench-train.jar> <output-dir>
#
# Runs sequentially, one folder per run under <output-dir>/<label>/ (passed as --output),
# then writes <output-dir>/hashes.txt ("<label> <sha256 of model-weights.bin>") and
# <output-dir>/times.txt ("<label> <wall seconds> <exit code>"). Exits nonzero if any run fails.
# Compare two output dirs with compare.sh.
#
# Every run: seed 0, first 1536 training images, batch 128 -> 12 steps/epoch, 2.5 epochs -> 30 steps
# (last epoch partial), so the lr warmup (94/95: 6 steps, 96/96faster: 3) and decay, 6 Lookahead blends
# (steps 5..30) and the whitening-bias freeze after epoch 1 (step 12) all happen. fp32, plain TF
# executor, 2 threads. 95/96/96faster use --widths 64,128,128 (their default widths take minutes per
# run on 2 cores; the final 10,000-image test evaluation alone takes ~75 s for full-width 96).
# Env overrides: ONLY (see below), JAVA (default java), DATA (default /work/shared/data/cifar-10-binary.tar.gz),
# JAVACPP_CACHE (default /work/bitexact/javacpp-cache), THREADS (default 2).
set -u

if [ $# -ne 2 ]; then
    echo "usage: $0 <path-to-airbench-train.jar> <output-dir>" >&2
    exit 2
fi
JAR=$(readlink -f "$1")
OUT=$2
JAVA=${JAVA:-java}
DATA=${DATA:-/work/shared/data/cifar-10-binary.tar.gz}
JAVACPP_CACHE=${JAVACPP_CACHE:-/work/bitexact/javacpp-cache}
THREADS=${THREADS:-2}

[ -f "$JAR" ] || { echo "no jar at $1" >&2; exit 2; }
[ -e "$DATA" ] || { echo "no data at $DATA" >&2; exit 2; }
mkdir -p "$OUT"
OUT=$(readlink -f "$OUT")

SIZE="--train-subset 1536 --batch-size 128"
COMMON=(--epochs 2.5 --whiten-bias-epochs 1
        --tta 0 --epoch-eval false --no-tensorboard --threads "$THREADS"
        --data-dir "$DATA")
FP32=(--precision fp32 --compile none)
SMALL=(--widths 64,128,128)

# label | recipe, precision, widths | data size
RUNS=(
    "94|--recipe 94 ${FP32[*]}|$SIZE"
    "95|--recipe 95 ${FP32[*]} ${SMALL[*]}|$SIZE"
    "96|--recipe 96 ${FP32[*]} ${SMALL[*]}|$SIZE"
    "94muon|--recipe 94muon ${FP32[*]}|$SIZE"
    "96faster|--recipe 96faster ${FP32[*]} ${SMALL[*]}|$SIZE"
)
if lscpu | grep -qw -E 'avx512_bf16|amx_bf16'; then
    # bf16 on avx512_bf16 without AMX is slower per step than fp32 here, and XLA compiles each graph
    # variant (whitening bias trained/frozen, with/without Lookahead): 640 images, batch 64 ->
    # 10 steps/epoch, 25 steps, warmup 5, Lookahead at 5..25, freeze at step 10.
    RUNS+=("94-bf16-xla|--recipe 94 --precision bf16 --compile xla|--train-subset 640 --batch-size 64")
else
    echo "CPU has neither avx512_bf16 nor amx_bf16: skipping the 94-bf16-xla run" >&2
fi

# ONLY="label ..." re-runs just those labels into an existing <output-dir> (remove their folders
# first); their lines in hashes.txt/times.txt are replaced, the others kept.
ONLY=${ONLY:-}
for f in hashes.txt times.txt; do
    if [ -n "$ONLY" ] && [ -f "$OUT/$f" ]; then
        awk -v only=" $ONLY " 'index(only, " " $1 " ") == 0' "$OUT/$f" > "$OUT/$f.tmp" && mv "$OUT/$f.tmp" "$OUT/$f"
    else
        : > "$OUT/$f"
    fi
done
failed=0
for entry in "${RUNS[@]}"; do
    IFS='|' read -r label extra_s size_s <<< "$entry"
    if [ -n "$ONLY" ] && [[ " $ONLY " != *" $label "* ]]; then continue; fi
    read -r -a extra <<< "$extra_s"
    read -r -a size <<< "$size_s"
    dir=$OUT/$label
    if [ -e "$dir" ]; then
        echo "$dir already exists; use a fresh <output-dir>" >&2
        echo "$label FAILED" >> "$OUT/hashes.txt"; failed=1; continue
    fi
    mkdir -p "$dir"
    cmd=("$JAVA" "-Dorg.bytedeco.javacpp.cachedir=$JAVACPP_CACHE" -jar "$JAR"
         "${extra[@]}" --seed 0 "${size[@]}" "${COMMON[@]}" --output "$dir")
    printf '%q ' "${cmd[@]}" > "$dir/command.txt"; echo >> "$dir/command.txt"
    echo "== $label: $(cat "$dir/command.txt")" >&2
    start=$(date +%s.%N)
    "${cmd[@]}" > "$dir/train.log" 2>&1
    rc=$?
    secs=$(echo "$(date +%s.%N) - $start" | bc)
    printf '%s %.1f %d\n' "$label" "$secs" "$rc" >> "$OUT/times.txt"
    mapfile -t weights < <(find "$dir" -path '*/seed-0/model-weights.bin' -type f)
    if [ "$rc" -ne 0 ] || [ "${#weights[@]}" -ne 1 ]; then
        echo "== $label FAILED (exit $rc, ${#weights[@]} model-weights.bin found); see $dir/train.log" >&2
        tail -5 "$dir/train.log" >&2
        echo "$label FAILED" >> "$OUT/hashes.txt"; failed=1; continue
    fi
    ln -sfn "${weights[0]}" "$dir/model-weights.bin"
    hash=$(sha256sum "${weights[0]}" | cut -d' ' -f1)
    echo "$label $hash" >> "$OUT/hashes.txt"
    printf '== %s ok in %.1f s: %s\n' "$label" "$secs" "$hash" >&2
done
cat "$OUT/hashes.txt"
exit $failed

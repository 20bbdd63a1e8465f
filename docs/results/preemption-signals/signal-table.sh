#!/usr/bin/env bash
# The signal table of issue 34 (docs/RESULTS.md, "Preemption"): one training stopped by SIGTERM and SIGINT at
# random moments and resumed after each stop, compared bit for bit with an uninterrupted run; then damaged
# copies of a checkpoint resumed, to record their refusals. Everything runs niced (nice -n 19).
#
#   signal-table.sh RECIPE OUT [--train-options "OPTIONS"] [--per-signal N] [--moment-seed S] [--seed K]
#                              [--late-moments] [--jar JAR] [--data-dir PATH]
#                              [--reference FINISHED_REFERENCE_RUN_FOLDER]
#
# The issue's table (on a quiet machine, from the repository root, after `mvn -o -q -DskipTests package`):
#
#   docs/results/preemption-signals/signal-table.sh 94 /tmp/signals-94 --train-options "--train-subset 5120" --late-moments
#   docs/results/preemption-signals/signal-table.sh 96 /tmp/signals-96 --train-options "--epochs 2" --late-moments
#
# Writes OUT/signal-table.json (every interruption, the comparison, the refusals), OUT/signal-table.md (the
# tables for docs/RESULTS.md), OUT/reference/ and OUT/chained/ (the runs and one log per segment) and
# OUT/corrupt/ (the damaged copies and their logs). Defaults: 10 interruptions per signal, moment seed 1,
# training seed 0, the jar of this checkout, the data in /work/shared/data or $AIRBENCH_DATA. --late-moments adds,
# at no cost, a SIGTERM during the final evaluation (the run finishes: status 0) and a moment after the end.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
if [ $# -lt 2 ]; then
    sed -n '2,19p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
    exit 2
fi
recipe="$1"; out="$2"; shift 2
jar="$root/train/target/airbench-train.jar"
data="${AIRBENCH_DATA:-/work/shared/data/cifar-10-binary.tar.gz}"
extra=()
while [ $# -gt 0 ]; do
    case "$1" in
        --jar) jar="$2"; shift 2 ;;
        --data-dir) data="$2"; shift 2 ;;
        # As one word: argparse would take a lone "--no-tensorboard" for an option of its own.
        --train-options) extra+=("--train-options=$2"); shift 2 ;;
        *) extra+=("$1"); shift ;;
    esac
done
[ -f "$jar" ] || { echo "no jar at $jar: build it with mvn -o -q -DskipTests package" >&2; exit 2; }
mkdir -p "$out"
nice -n 19 python3 "$here/signal_table.py" --jar "$jar" --data-dir "$data" --recipe "$recipe" --out "$out" \
    ${extra[@]+"${extra[@]}"} 2>&1 | tee "$out/harness.log"

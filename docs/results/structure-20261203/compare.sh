#!/usr/bin/env bash
# compare.sh <dirA> <dirB>: cmp each recipe's model-weights.bin of two tiny-runs.sh output dirs.
# Prints "<label> IDENTICAL|DIFFERENT|MISSING" per label; exits 1 on any difference or missing file.
set -u
if [ $# -ne 2 ]; then echo "usage: $0 <dirA> <dirB>" >&2; exit 2; fi
A=$1; B=$2
labels=$( (cut -d' ' -f1 "$A/hashes.txt" "$B/hashes.txt" 2>/dev/null; \
           find "$A" "$B" -mindepth 1 -maxdepth 1 -type d -printf '%f\n') | sort -u)
[ -n "$labels" ] || { echo "no runs found in $A or $B" >&2; exit 2; }
bad=0
for label in $labels; do
    wa=$(find "$A/$label" -path '*/seed-0/model-weights.bin' -type f 2>/dev/null | head -1)
    wb=$(find "$B/$label" -path '*/seed-0/model-weights.bin' -type f 2>/dev/null | head -1)
    if [ -z "$wa" ] || [ -z "$wb" ]; then
        echo "$label MISSING (${wa:-none in $A} / ${wb:-none in $B})"; bad=1
    elif cmp -s "$wa" "$wb"; then
        echo "$label IDENTICAL"
    else
        echo "$label DIFFERENT ($(cmp "$wa" "$wb" 2>&1 | head -1))"; bad=1
    fi
done
exit $bad

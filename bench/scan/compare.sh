#!/usr/bin/env bash
# compare.sh DIR [WORKERS...] — files/s of partsync's scan against fpart and
# find on a warm local tree, side by side.
#
# Builds (once) a seeded tree of DIRS directories (default 6,667) × 30 sparse
# files of 1–16 KiB — 200,010 files — in DIR/tree, flushes it to disk, warms
# the cache, then runs RUNS rounds (default 3), each round running in turn:
#   fpart -f 2000 -o /dev/null TREE      (the anchor: stats every file)
#   find TREE -type f                    (reads directories only, no stat)
#   scanrate TREE                        (generator/scan.Walk, default workers, and each WORKERS given)
#   partsync generate ... TREE           (the whole pipeline: scan, partitions, run dir, workflow)
# and prints the median seconds, files/s and the ratio to fpart, with the load
# average at each round. Needs go and fpart.
set -euo pipefail

dir=${1:?usage: compare.sh DIR [WORKERS...]}
shift
dirs=${DIRS:-6667}
. "$(dirname "$0")/../lib.sh"

bench_setup

bench_build "$bin"
tree=$dir/tree
files=$(bench_make_tree "$tree" "$dirs")

gen() {
	rm -rf "$bin/runs"
	"$bin/partsync" generate -d "$bin/runs" --pvc "bench:$dir" --pvc "tmp:$bin" \
		--output-file "$bin/wf.yaml" "$tree" "$dir/dst"
}

echo "machine: $(bench_machine)"
echo "tree: $files files in $dirs directories ($tree), warm cache"
bench_step() {
	case $1 in
	fpart*) fpart -f 2000 -o /dev/null "$tree" ;;
	find*) find "$tree" -type f ;;
	scan*) w=${1#*workers=} && "$bin/scanrate" -workers "${w%% *}" "$tree" ;;
	partsync*) gen ;;
	esac
}
labels=("fpart -f 2000" "find -type f" "scan workers=0 (default)")
for w in "$@"; do labels+=("scan workers=$w"); done
labels+=("partsync generate")
bench_rounds "$files"

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
workers=(0 "$@")
runs=${RUNS:-3}
dirs=${DIRS:-6667}
. "$(dirname "$0")/../lib.sh"

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
bin=$(mktemp -d)
bench_tmp=$bin
trap 'rm -rf "$bin"' EXIT

bench_build "$bin"
tree=$dir/tree
files=$(bench_make_tree "$tree" "$dirs")

gen() {
	rm -rf "$bin/runs"
	"$bin/partsync" generate -d "$bin/runs" --pvc "bench:$dir" --pvc "tmp:$bin" \
		--output "$bin/wf.yaml" "$tree" "$dir/dst"
}

echo "machine: $(bench_machine)"
echo "tree: $files files in $dirs directories ($tree), warm cache"
declare -A t
labels=("fpart -f 2000" "find -type f")
for w in "${workers[@]}"; do labels+=("scan workers=$w"); done
labels+=("partsync generate")
loads=()
for r in $(seq "$runs"); do
	loads+=("$(bench_load)")
	t["fpart -f 2000"]+=" $(bench_time fpart -f 2000 -o /dev/null "$tree")"
	t["find -type f"]+=" $(bench_time find "$tree" -type f)"
	for w in "${workers[@]}"; do
		t["scan workers=$w"]+=" $(bench_time "$bin/scanrate" -workers "$w" "$tree")"
	done
	t["partsync generate"]+=" $(bench_time gen)"
done
loads+=("$(bench_load)")

# shellcheck disable=SC2086
fpart_s=$(bench_median ${t["fpart -f 2000"]})
printf '%-26s %9s %12s %9s   %s\n' "" "median s" "files/s" "vs fpart" "runs (s)"
for l in "${labels[@]}"; do
	# shellcheck disable=SC2086
	s=$(bench_median ${t[$l]})
	name=$l
	[ "$l" = "scan workers=0" ] && name="scan (default workers)"
	# shellcheck disable=SC2086
	printf '%-26s %9.3f %12.0f %8.2fx  %s\n' "$name" "$s" "$(echo "$files / $s" | bc -l)" \
		"$(echo "$fpart_s / $s" | bc -l)" "$(printf '%.3f ' ${t[$l]})"
done
echo "load average (1 min) at each round's start and at the end: ${loads[*]}"

#!/usr/bin/env bash
# compare.sh DIR [WORKERS...] — files/s of partsync's scan against fpart.
#
# Builds (once) a seeded tree of 6,667 directories × 30 files of 1–16 KiB
# (200,010 files, sparse) in DIR/tree, flushes it to disk, warms the cache,
# then times, best of 3:
#   fpart -f 2000 -o /dev/null DIR/tree
#   scanrate DIR/tree   (generator/scan.Walk, default workers and each WORKERS given)
# and prints both rates and the ratio. Needs go and fpart.
set -euo pipefail

dir=${1:?usage: compare.sh DIR [WORKERS...]}
shift
repo=$(cd "$(dirname "$0")/../.." && pwd)
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT

(cd "$repo" && go build -o "$bin/scanrate" ./bench/scan/scanrate)
tree=$dir/tree
if [ ! -e "$dir/.complete" ]; then
	echo "building the tree in $tree ..." >&2
	rm -rf "$tree"
	mkdir -p "$tree"
	"$bin/scanrate" -make "$tree"
	sync # writeback running during the timings would slow both sides
	touch "$dir/.complete"
fi
files=$(find "$tree" -type f | wc -l) # also warms the cache

# best SECONDS of 3 runs of a command
best() {
	local b=""
	for _ in 1 2 3; do
		local s e t
		s=$(date +%s.%N)
		"$@" >/dev/null 2>&1
		e=$(date +%s.%N)
		t=$(echo "$e - $s" | bc -l)
		if [ -z "$b" ] || [ "$(echo "$t < $b" | bc -l)" = 1 ]; then b=$t; fi
	done
	echo "$b"
}

fpart_s=$(best fpart -f 2000 -o /dev/null "$tree")
fpart_rate=$(echo "$files / $fpart_s" | bc -l)
printf 'tree: %d files in %s; %d cores\n' "$files" "$tree" "$(nproc)"
printf '%-28s %8.3f s %10.0f files/s\n' "fpart -f 2000" "$fpart_s" "$fpart_rate"
for w in 0 "$@"; do
	s=$(best "$bin/scanrate" -workers "$w" "$tree")
	rate=$(echo "$files / $s" | bc -l)
	label="scan.Walk workers=$w"
	[ "$w" = 0 ] && label="scan.Walk (default workers)"
	printf '%-28s %8.3f s %10.0f files/s  %.2fx fpart\n' "$label" "$s" "$rate" "$(echo "$rate / $fpart_rate" | bc -l)"
done

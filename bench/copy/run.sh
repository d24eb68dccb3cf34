#!/usr/bin/env bash
# run.sh DIR [REPS] — copy benchmarks: one `rsync -a`, `fpsync -n N` and
# `partsync run -n N` (N = 4 and 8) side by side on two seeded sets:
#   small: 200,010 files of 1–16 KiB in 6,667 directories, 1.74 GB
#   mixed: 20,000 files of long-tailed sizes, 4.3 GB
# For each set and repetition (default 3), every tool copies into an empty
# destination (first copy), then again onto the complete destination
# (re-run). The tools are interleaved within a repetition, in an order that
# rotates, so that a change in the machine's load hits all of them; `sync`
# runs before each timing, and the destination is removed between first
# copies. Prints the medians and the ratios against rsync and against fpsync
# with the same -n, and leaves the raw times in DIR/results.tsv.
#
# Environment: SETS ("small mixed"), JOBS ("4 8"), SCALE (1: the full sets;
# 0.1 for a quick try; the sets are built once per DIR and scale).
# Needs go, rsync, fpsync (and fpart), bc-free: awk does the arithmetic.
set -euo pipefail

dir=${1:?usage: run.sh DIR [REPS]}
reps=${2:-3}
sets=${SETS:-small mixed}
jobs=${JOBS:-4 8}
scale=${SCALE:-1}
repo=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../lib.sh
source "$repo/bench/lib.sh"
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT

(cd "$repo" && go build -o "$bin/partsync" ./cmd/partsync && go build -o "$bin/mkset" ./bench/copy/mkset)

for set in $sets; do
	bench_mkset "$set" "$scale"
done

tools=(rsync)
for n in $jobs; do tools+=("fpsync-$n" "partsync-$n"); done

# copy TOOL SRC DST: one copy, output to the log.
copy() {
	local tool=$1 src=$2 dst=$3
	case $tool in
	rsync) rsync -a "$src/" "$dst/" ;;
	fpsync-*) fpsync -n "${tool#fpsync-}" -t "$dir/fpsync-tmp" "$src/" "$dst/" ;;
	partsync-*) "$bin/partsync" run -n "${tool#partsync-}" -d "$dir/runs" "$src" "$dst" ;;
	esac
}

# timed TOOL SRC DST: prints the seconds of one copy, after a sync.
timed() {
	sync
	bench_timed "$dir/log" copy "$@"
}

# files DIR: regular files below DIR.
files() { find "$1" -type f | wc -l; }

results=$dir/results.tsv
: >"$dir/log"
printf 'set\trep\ttool\tphase\tseconds\tload1\n' >"$results"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr); rsync $(rsync --version | awk 'NR==1 {print $3}'), $(fpsync -h 2>&1 | awk 'NR == 1 {print $1, $2}')" >&2
for set in $sets; do
	src=$dir/$set/src dst=$dir/$set/dst
	want=$(files "$src") # also warms the cache
	for rep in $(seq "$reps"); do
		k=$(((rep - 1) % ${#tools[@]}))
		order=("${tools[@]:k}" "${tools[@]:0:k}")
		for tool in "${order[@]}"; do
			rm -rf "$dst" "$dir/runs" "$dir/fpsync-tmp"
			mkdir -p "$dst"
			load=$(awk '{print $1}' /proc/loadavg)
			first=$(timed "$tool" "$src" "$dst")
			got=$(files "$dst")
			if [ "$got" != "$want" ]; then
				echo "run.sh: $tool copied $got of $want files of the $set set" >&2
				exit 1
			fi
			rm -rf "$dir/runs" "$dir/fpsync-tmp"
			rerun=$(timed "$tool" "$src" "$dst")
			printf '%s\t%s\t%s\tfirst\t%s\t%s\n%s\t%s\t%s\trerun\t%s\t%s\n' "$set" "$rep" "$tool" "$first" "$load" "$set" "$rep" "$tool" "$rerun" "$load" >>"$results"
			printf '%-6s rep %d %-11s first %8.2f s  re-run %7.2f s  (load %s)\n' "$set" "$rep" "$tool" "$first" "$rerun" "$load" >&2
		done
	done
	rm -rf "$dst" "$dir/runs" "$dir/fpsync-tmp"
done

# The medians and the ratios.
awk -F'\t' -v tools="${tools[*]}" -v sets="$sets" -f "$repo/bench/copy/summary.awk" "$results"

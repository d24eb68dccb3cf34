#!/usr/bin/env bash
# mem.sh DIR — peak memory of the whole `partsync generate` pipeline (scan,
# partitions, part files, plan, workflow, lint) at 100k and 1M files.
#
# Builds (once) two seeded trees in DIR: 3,334 and 33,334 directories × 30
# sparse files of 1–16 KiB (100,020 and 1,000,020 files; sparse files use no
# data blocks, the scan reads metadata only), then for each runs, under
# bench/peakrss,
#   partsync generate -d RUNS --pvc ... --output wf.yaml TREE DST
#   fpart -f 2000 -o /dev/null TREE          (the anchor)
# and prints seconds, ru_maxrss (what /usr/bin/time -v calls "Maximum
# resident set size") and the peak of anonymous RSS (the process's own memory,
# without the pages of its executable file).
#
# On kernels whose page cache holds files in large folios (6.x with ext4 or
# xfs), a mapped executable is counted in RSS 2 MiB at a time, however little
# of each 2 MiB it touches: partsync's 100 MB binary (Argo's validator and
# the Kubernetes types are linked in) then shows ~70 MiB of file pages in
# ru_maxrss whatever the tree. So the script also runs a copy of the binary
# written 4 KiB at a time, whose page cache is in 4 KiB pages, to show the
# RSS of what the process really touches.
set -euo pipefail

dir=${1:?usage: mem.sh DIR}
. "$(dirname "$0")/lib.sh"
bench_setup

bench_build "$bin"
dd if="$bin/partsync" of="$bin/partsync-4k" bs=4k status=none
chmod +x "$bin/partsync-4k"

echo "machine: $(bench_machine)"
printf '%-10s %-34s %8s %14s %14s\n' files command seconds "maxrss MiB" "peak anon MiB"
row() { # FILES LABEL CMD...
	local files=$1 label=$2
	shift 2
	"$bin/peakrss" -o "$bin/report" -- "$@" >/dev/null 2>"$bin/err" || {
		cat "$bin/err" >&2
		exit 1
	}
	# seconds=… maxrss_kib=… peak_anon_kib=… exit=…
	read -r secs max anon _ < <(tr '=' ' ' <"$bin/report" | awk '{print $2, $4, $6}')
	printf '%-10s %-34s %8.2f %14.1f %14.1f\n' "$files" "$label" "$secs" "$(echo "$max/1024" | bc -l)" "$(echo "$anon/1024" | bc -l)"
}
for spec in 100k:3334 1m:33334; do
	name=${spec%%:*}
	files=$(bench_make_tree "$dir/tree-$name" "${spec#*:}")
	for exe in partsync partsync-4k; do
		rm -rf "$bin/runs"
		row "$files" "$exe generate" "$bin/$exe" generate -d "$bin/runs" \
			--pvc "bench:$dir" --pvc "tmp:$bin" --output "$bin/wf.yaml" "$dir/tree-$name" "$dir/dst"
	done
	row "$files" "fpart -f 2000" fpart -f 2000 -o /dev/null "$dir/tree-$name"
done
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"

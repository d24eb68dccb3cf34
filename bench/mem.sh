#!/usr/bin/env bash
# mem.sh DIR — peak memory of the whole `partsync generate` pipeline (scan,
# partitions, part files, plan, workflow, lint) at 100k and 1M files.
#
# Builds (once) two seeded trees in DIR: 3,334 and 33,334 directories × 30
# sparse files of 1–16 KiB (100,020 and 1,000,020 files; sparse files use no
# data blocks, the scan reads metadata only), then for each runs, under
# bench/peakrss,
#   partsync generate -d RUNS --pvc ... --output-file wf.yaml TREE DST
#   fpart -f 2000 -o /dev/null TREE          (the anchor)
# and prints, from bench/peakrss: seconds; ru_maxrss (what /usr/bin/time -v
# calls "Maximum resident set size") and VmHWM (the same peak as /proc keeps
# it); and that peak's two parts, each sampled every 2 ms: the peak of RssAnon
# (anonymous memory: heap, stacks, the Go runtime, i.e. the program's own
# memory) and the peak of RssFile (pages of mapped files: the executable's own
# text and rodata, clean and shared with the page cache).
#
# On kernels whose page cache holds files in large folios (6.x with ext4 or
# xfs), a mapped executable is counted in RSS up to 2 MiB at a time, however
# little of each 2 MiB it touches: a big binary then shows tens of MiB of file
# pages in ru_maxrss whatever the tree. So the script also runs a copy of the
# binary written 4 KiB at a time, whose page cache is in 4 KiB pages, to show
# the file pages the process really touches.
set -euo pipefail

dir=${1:?usage: mem.sh DIR}
. "$(dirname "$0")/lib.sh"
bench_setup

bench_build "$bin"
dd if="$bin/partsync" of="$bin/partsync-4k" bs=4k status=none
chmod +x "$bin/partsync-4k"

echo "machine: $(bench_machine)"
printf '%-10s %-22s %7s %9s %9s %9s %9s\n' files command seconds maxrss HWM "peak anon" "peak file"
printf '%-10s %-22s %7s %9s %9s %9s %9s\n' "" "" "" MiB MiB MiB MiB
row() { # FILES LABEL CMD...
	local files=$1 label=$2
	shift 2
	"$bin/peakrss" -o "$bin/report" -- "$@" >/dev/null 2>"$bin/err" || {
		cat "$bin/err" >&2
		exit 1
	}
	# seconds=… maxrss_kib=… hwm_kib=… peak_anon_kib=… peak_file_kib=… exit=…
	awk -v files="$files" -v label="$label" '{
		for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		printf "%-10s %-22s %7.2f %9.1f %9.1f %9.1f %9.1f\n", files, label, v["seconds"],
			v["maxrss_kib"] / 1024, v["hwm_kib"] / 1024, v["peak_anon_kib"] / 1024, v["peak_file_kib"] / 1024
	}' "$bin/report"
}
for spec in 100k:3334 1m:33334; do
	name=${spec%%:*}
	files=$(bench_make_tree "$dir/tree-$name" "${spec#*:}")
	for exe in partsync partsync-4k; do
		rm -rf "$bin/runs"
		row "$files" "$exe generate" "$bin/$exe" generate -d "$bin/runs" \
			--pvc "bench:$dir" --pvc "tmp:$bin" --output-file "$bin/wf.yaml" "$dir/tree-$name" "$dir/dst"
	done
	row "$files" "fpart -f 2000" fpart -f 2000 -o /dev/null "$dir/tree-$name"
done
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"

#!/usr/bin/env bash
# run.sh DIR [REPS] — incremental re-runs (issue 13 §3), side by side:
#
#   S3: after a complete first copy, 1% of the files change (a byte appended:
#   new size and mtime); then, in each repetition (the order rotates):
#     rclone-16     rclone copy --transfers 16 --checkers 16 SRC bench:bucket/r
#     partsync      partsync run -m rclone SRC bench:bucket/p   (its base: the last run)
#     scan          partsync's own scan of SRC alone (bench/scan/scanrate)
#     floor         rclone copy --transfers 16 --no-check-dest --no-traverse
#                   --files-from-raw CHANGED SRC bench:bucket/f: exactly the
#                   changed files uploaded, nothing listed (the floor of any re-run)
#   Each tool copies the same change onto its own prefix of one S3 server on
#   127.0.0.1 (bench/s3/server, objects as files); afterwards r/ and p/ must
#   hold every file of SRC with its bytes (`rclone size`), or the script stops.
#
#   With COLD=1 (root: the caches are dropped before each command), the same
#   change again, cold: scan-cold, partsync-cold (partsync run --since the
#   run before the warm one: the same 1% listed and uploaded), the same with
#   --live=false (nolive-cold: the scan ends before the uploads start, as an
#   incremental run did before its partitions closed on time) and floor-cold.
#
#   FS, unchanged: after complete copies, nothing changes; then
#     rsync-a       rsync -a SRC/ DST-r/
#     partsync-fs   partsync run SRC DST-p        (its base: the last run)
#   and with COLD=1 the two again, each after the caches are dropped.
#   With FSCOPY=link (the default at SCALE=1, where two more copies of the
#   set may not fit on the disk) DST-r and DST-p start as hard-link clones of
#   SRC (cp -al) before the first copies: the same names, sizes, mtimes and
#   modes, so both re-runs stat the same entries, but DST's inodes are SRC's
#   (a cold rsync finds those it stats at DST already read at SRC).
#
# The set is bench/copy/mkset's small set (200,010 files of 1–16 KiB at
# SCALE=1; SCALE=0.25 by default: 49,980 files). Each command is timed with
# /usr/bin/time (wall; CPU of the process tree); the load (1-minute) is
# printed with each figure. Prints medians and ratios; raw figures in
# DIR/results.tsv, the commands' output in DIR/log.
#
# The local first copies (untimed) are kept in DIR: a second run.sh on the
# same DIR and SCALE starts from them (KEEP=0 makes them again). The S3 ones
# are made again each time: the server keeps its objects' metadata in memory,
# and rclone, finding none after a restart, "sets" each object's mtime with a
# copy onto itself, which the server's file backend truncates.
#
# Environment: SCALE (0.25), COLD (0), KEEP (1), FSCOPY (copy; link at
# SCALE=1), CASES (the cases timed: "s3 fs", and "s3-cold fs-cold" with
# COLD=1; s3-cold alone still changes 1% each repetition; without an s3
# case the S3 first copies are not made), RCLONE (the rclone binary, default the one on PATH; partsync runs
# the same one).
set -euo pipefail

dir=${1:?usage: run.sh DIR [REPS]}
reps=${2:-3}
scale=${SCALE:-0.25}
cold=${COLD:-0}
cases=${CASES:-s3 fs}
[ "$cold" != 1 ] || cases=${CASES:-s3 s3-cold fs fs-cold}
fscopy=${FSCOPY:-copy}
[ "$scale" != 1 ] || fscopy=${FSCOPY:-link}
# shellcheck source=../lib.sh
source "$(dirname "$0")/../lib.sh"
bench_rclone
bench_setup
trap 'bench_s3_stop; rm -rf "$bin"' EXIT
bench_build "$bin" # partsync, scanrate
(cd "$bench_repo" && go build -o "$bin/mkset" ./bench/copy/mkset && go build -o "$bin/s3server" ./bench/s3/server)

bench_mkset small "$scale"
src=$dir/small/src
copied=$dir/.first-copies-$scale-$fscopy # each first copy adds a line when it is complete
if [ "${KEEP:-1}" = 0 ] || [ ! -e "$copied" ]; then
	rm -f "$dir"/.first-copies-*
	rm -rf "$dir/bucket" "$dir/runs-s3" "$dir/runs-fs" "$dir/dst-r" "$dir/dst-p"
	touch "$copied"
fi
rm -rf "$dir/bucket" "$dir/runs-s3"
sed -i '/^rclone-16$/d; /^partsync$/d' "$copied"
mkdir -p "$dir/bucket/r" "$dir/bucket/p" "$dir/bucket/f" # the server answers 500 to a listing of a prefix it has no directory for
bench_s3_start "$dir/bucket" "$dir/log"
if [[ $cases == *cold* ]] && ! bench_drop_caches; then
	echo "run.sh: COLD=1 needs root (echo 3 > /proc/sys/vm/drop_caches)" >&2
	exit 1
fi

cmd() {
	case $1 in
	rclone-16) "$rclone" --config "$bin/rclone.conf" copy --transfers 16 --checkers 16 "$src" bench:bucket/r ;;
	partsync | partsync-cold) "$bin/partsync" run -m rclone --rclone-config "$bin/rclone.conf" -d "$dir/runs-s3" ${since:+--since "$since"} "$src" bench:bucket/p ;;
	nolive-cold) "$bin/partsync" run -m rclone --live=false --rclone-config "$bin/rclone.conf" -d "$dir/runs-s3" --since "$since" "$src" bench:bucket/p ;;
	scan | scan-cold) "$bin/scanrate" "$src" ;;
	floor | floor-cold) "$rclone" --config "$bin/rclone.conf" copy --transfers 16 --checkers 16 --no-check-dest --no-traverse --files-from-raw "$bin/changed" "$src" bench:bucket/f ;;
	rsync-a | rsync-a-cold) rsync -a "$src/" "$dir/dst-r/" ;;
	partsync-fs | partsync-fs-cold) "$bin/partsync" run -d "$dir/runs-fs" "$src" "$dir/dst-p" ;;
	*) echo "run.sh: unknown command $1" >&2; exit 1 ;;
	esac
}
export -f cmd
export bin rclone dir src since=

# timed NAME: prints "wall cpu rss" (seconds, seconds, MiB: the largest
# resident set of one process of the tree, as /usr/bin/time reports it).
# A NAME ending in -cold runs after the caches are dropped.
timed() {
	case $1 in *-cold) bench_drop_caches ;; esac
	if ! /usr/bin/time -f '%e %U %S %M' -o "$bin/time" bash -c 'cmd "$@"' cmd "$1" >>"$dir/log" 2>&1; then
		echo "run.sh: $1 failed; see $dir/log" >&2
		exit 1
	fi
	awk '{printf "%.2f %.2f %.0f", $1, $2 + $3, $4 / 1024}' "$bin/time"
}

want() { find "$src" -type f -printf '%s\n' | awk '{n++; s += $1} END {printf "%d %.0f", n, s}'; }
check() { # check PREFIX: the prefix holds every file of SRC with its bytes
	local got
	got=$("$rclone" --config "$bin/rclone.conf" size --json "bench:bucket/$1" | sed -n 's/.*"count":\([0-9]*\).*"bytes":\([0-9]*\).*/\1 \2/p')
	[ "$got" = "$(want)" ] || { echo "run.sh: bucket/$1 holds $got (files bytes), SRC $(want)" >&2; exit 1; }
}
# change OFFSET: 1% of the files change, every 100th from OFFSET; their
# paths, relative to SRC, are in $bin/changed.
change() {
	(cd "$src" && find . -type f -printf '%P\n' | sort | awk -v off="$1" 'NR % 100 == off') >"$bin/changed"
	while IFS= read -r f; do printf 'x' >>"$src/$f"; done <"$bin/changed"
	echo "rep $rep: $(wc -l <"$bin/changed") of $nfiles files changed (offset $1)" >&2
}
# has CASE: CASE is timed.
has() { [[ " $cases " == *" $1 "* ]]; }
# newest_run RUNS: the id of the newest run in RUNS.
newest_run() { [ -d "$1" ] || return 0; find "$1" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort | tail -1; }

echo "machine: $(bench_machine); $("$rclone" version | head -1); $(uptime)" >&2
s3=0 # the S3 first copies are made (and checked) only when an S3 case is timed
[[ $cases != *s3* ]] || s3=1
for c in rclone-16 partsync rsync-a partsync-fs; do
	grep -qx "$c" "$copied" && continue
	case $c in rclone-16 | partsync) [ "$s3" = 1 ] || continue ;; esac
	echo "first copy (not timed): $c ..." >&2
	case $c in
	rsync-a) d=$dir/dst-r ;;
	partsync-fs) d=$dir/dst-p ;;
	*) d= ;;
	esac
	if [ -n "$d" ] && [ "$fscopy" = link ]; then
		rm -rf "$d"
		cp -al "$src" "$d"
	fi
	cmd "$c" >>"$dir/log" 2>&1
	echo "$c" >>"$copied"
done
[ "$s3" = 0 ] || { check r; check p; }

results=$dir/results.tsv
# side_by_side CASE TOOL...: each tool once, the order rotated by $rep.
side_by_side() {
	local cs=$1 k tool w c m load
	shift
	local tools=("$@")
	k=$(((rep - 1) % ${#tools[@]}))
	for tool in "${tools[@]:k}" "${tools[@]:0:k}"; do
		load=$(bench_load)
		read -r w c m <<<"$(timed "$tool")"
		printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$rep" "$cs" "$tool" "$w" "$c" "$m" "$load" >>"$results"
		printf 'rep %d %-13s %-16s %7.2f s wall  %7.2f s cpu  %5d MiB rss  load %s\n' "$rep" "$cs" "$tool" "$w" "$c" "$m" "$load" >&2
	done
}
printf 'rep\tcase\ttool\twall\tcpu\trss_mib\tload1\n' >"$results"
nfiles=$(want | cut -d' ' -f1)
for rep in $(seq "$reps"); do
	change $((rep * 37 % 100))
	base=$(newest_run "$dir/runs-s3")
	if has s3; then
		side_by_side changed-1% rclone-16 partsync scan floor
		check r
		check p
	fi
	if has s3-cold; then
		# partsync-cold and nolive-cold take the run before the warm one as their base: the same change.
		since=$base side_by_side changed-1%-cold scan-cold partsync-cold nolive-cold floor-cold
		check p
	fi
	if has fs || has fs-cold; then
		cmd rsync-a >>"$dir/log" 2>&1 # both FS copies take this change, untimed:
		cmd partsync-fs >>"$dir/log" 2>&1 # what follows is a re-run with nothing changed
	fi
	! has fs || side_by_side unchanged-fs rsync-a partsync-fs
	! has fs-cold || side_by_side unchanged-fs-cold rsync-a-cold partsync-fs-cold
done
echo "end: $(uptime)" >&2
grep -h "since run" "$dir/log" | tail -2 >&2 || true

awk -F'\t' '
NR > 1 { w[$2, $3] = w[$2, $3] " " $4; c[$2, $3] = c[$2, $3] " " $5; m[$2, $3] = m[$2, $3] " " $6 }
function median(list,   a, n, i, j, x) {
	n = split(list, a, " ")
	for (i = 2; i <= n; i++) { x = a[i]; for (j = i - 1; j >= 1 && a[j] + 0 > x + 0; j--) a[j + 1] = a[j]; a[j + 1] = x }
	return n == 0 ? 0 : n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function ratio(a, b) { return b == 0 ? "   -" : sprintf("%5.2f", a / b) }
function row(cs, t, anchor) {
	if (median(w[cs, anchor]) == 0) return
	printf "%-17s %-16s %8.2f s wall (%sx %s)  %8.2f s cpu (%sx)  %5d MiB rss\n", cs, t, median(w[cs, t]), ratio(median(w[cs, t]), median(w[cs, anchor])), anchor, median(c[cs, t]), ratio(median(c[cs, t]), median(c[cs, anchor])), median(m[cs, t])
}
function floor_row(cs, t, s, f,   lb) { # the re-run against the scan plus the floor of its uploads
	lb = median(w[cs, s]) + median(w[cs, f])
	if (lb == 0) return
	printf "%-17s %-16s %8.2f s wall (%5.2fx %s + %s = %.2f s)\n", cs, t, median(w[cs, t]), median(w[cs, t]) / lb, s, f, lb
}
END {
	print "\nmedians (ratio to the anchor named)"
	row("changed-1%", "rclone-16", "rclone-16"); row("changed-1%", "partsync", "rclone-16"); row("changed-1%", "partsync", "scan"); row("changed-1%", "scan", "scan"); row("changed-1%", "floor", "scan")
	floor_row("changed-1%", "partsync", "scan", "floor")
	row("changed-1%-cold", "partsync-cold", "scan-cold"); row("changed-1%-cold", "nolive-cold", "scan-cold"); row("changed-1%-cold", "partsync-cold", "nolive-cold")
	row("changed-1%-cold", "scan-cold", "scan-cold"); row("changed-1%-cold", "floor-cold", "scan-cold")
	floor_row("changed-1%-cold", "partsync-cold", "scan-cold", "floor-cold")
	row("unchanged-fs", "rsync-a", "rsync-a"); row("unchanged-fs", "partsync-fs", "rsync-a")
	row("unchanged-fs-cold", "rsync-a-cold", "rsync-a-cold"); row("unchanged-fs-cold", "partsync-fs-cold", "rsync-a-cold")
}' "$results"

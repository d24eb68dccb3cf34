#!/usr/bin/env bash
# run.sh DIR [REPS] — incremental re-runs (issue 13 §3), side by side:
#
#   S3: after a complete first copy, 1% of the files change (a byte appended:
#   new size and mtime); then, in each repetition (the order rotates):
#     rclone-16     rclone copy --transfers 16 --checkers 16 SRC bench:bucket/r
#     partsync      partsync run -m rclone SRC bench:bucket/p   (its base: the last run)
#     scan          partsync's own scan of SRC alone (bench/scan/scanrate)
#   Each tool copies the same change onto its own prefix of one S3 server on
#   127.0.0.1 (bench/s3/server, objects as files); afterwards both prefixes
#   must hold every file of SRC with its bytes (`rclone size`), or the script
#   stops.
#
#   FS, unchanged: after complete copies, nothing changes; then
#     rsync-a       rsync -a SRC/ DST-r/
#     partsync-fs   partsync run SRC DST-p        (its base: the last run)
#
# The set is bench/copy/mkset's small set (200,010 files of 1–16 KiB at
# SCALE=1; SCALE=0.25 by default: 49,980 files). Each command is timed with
# /usr/bin/time (wall; CPU of the process tree); the load (1-minute) is
# printed with each figure. Prints medians and ratios; raw figures in
# DIR/results.tsv, the commands' output in DIR/log.
#
# Environment: SCALE (0.25), RCLONE (the rclone binary, default the one on
# PATH; partsync runs the same one).
set -euo pipefail
unset AWS_CA_BUNDLE # rclone 1.60 cannot open an S3 remote with it set

dir=${1:?usage: run.sh DIR [REPS]}
reps=${2:-3}
scale=${SCALE:-0.25}
rclone=$(command -v "${RCLONE:-rclone}") || { echo "run.sh: no rclone ${RCLONE:-on PATH}" >&2; exit 1; }
PATH=$(dirname "$rclone"):$PATH
repo=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
bin=$(mktemp -d)
server_pid=
cleanup() {
	[ -z "$server_pid" ] || kill "$server_pid" 2>/dev/null || true
	rm -rf "$bin"
}
trap cleanup EXIT

# shellcheck source=../lib.sh
source "$repo/bench/lib.sh"
bench_build "$bin" # partsync, scanrate
(cd "$repo" && go build -o "$bin/mkset" ./bench/copy/mkset && go build -o "$bin/s3server" ./bench/s3/server)

src=$dir/small/src
if [ ! -e "$dir/small/.complete-$scale" ]; then
	echo "building the small set (scale $scale) in $src ..." >&2
	rm -rf "${dir:?}/small"
	mkdir -p "$dir/small"
	"$bin/mkset" -set small -scale "$scale" "$src" >&2
	touch "$dir/small/.complete-$scale"
fi

rm -f "$bin/url" "$bin/counts"
rm -rf "$dir/bucket" "$dir/runs-s3" "$dir/runs-fs" "$dir/dst-r" "$dir/dst-p"
"$bin/s3server" -addr 127.0.0.1:0 -url-file "$bin/url" -dir "$dir/bucket" -count-file "$bin/counts" >>"$dir/log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do [ -s "$bin/url" ] && break; sleep 0.05; done
[ -s "$bin/url" ] || { echo "run.sh: the S3 server did not start; see $dir/log" >&2; exit 1; }
mkdir -p "$dir/bucket/r" "$dir/bucket/p" # the server answers 500 to a listing of a prefix it has no directory for
cat >"$bin/rclone.conf" <<CONF
[bench]
type = s3
provider = Other
endpoint = $(cat "$bin/url")
access_key_id = bench
secret_access_key = bench
region = us-east-1
force_path_style = true
CONF

cmd() {
	case $1 in
	rclone-16) "$rclone" --config "$bin/rclone.conf" copy --transfers 16 --checkers 16 "$src" bench:bucket/r ;;
	partsync) "$bin/partsync" run -m rclone --rclone-config "$bin/rclone.conf" -d "$dir/runs-s3" "$src" bench:bucket/p ;;
	scan) "$bin/scanrate" "$src" ;;
	rsync-a) rsync -a "$src/" "$dir/dst-r/" ;;
	partsync-fs) "$bin/partsync" run -d "$dir/runs-fs" "$src" "$dir/dst-p" ;;
	*) echo "run.sh: unknown command $1" >&2; exit 1 ;;
	esac
}
export -f cmd
export bin rclone dir src

# timed NAME: prints "wall cpu rss" (seconds, seconds, MiB: the largest
# resident set of one process of the tree, as /usr/bin/time reports it).
timed() {
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

echo "machine: $(nproc) cores, $(uname -sr); $("$rclone" version | head -1); $(date -u '+%Y-%m-%d %H:%M UTC'); $(uptime)" >&2
echo "first copies (not timed) ..." >&2
for c in rclone-16 partsync rsync-a partsync-fs; do cmd "$c" >>"$dir/log" 2>&1; done
check r
check p

results=$dir/results.tsv
# side_by_side CASE TOOL...: each tool once, the order rotated by $rep.
side_by_side() {
	local cs=$1 k tool w c m load
	shift
	local tools=("$@")
	k=$(((rep - 1) % ${#tools[@]}))
	for tool in "${tools[@]:k}" "${tools[@]:0:k}"; do
		load=$(cut -d' ' -f1 /proc/loadavg)
		read -r w c m <<<"$(timed "$tool")"
		printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$rep" "$cs" "$tool" "$w" "$c" "$m" "$load" >>"$results"
		printf 'rep %d %-13s %-12s %7.2f s wall  %7.2f s cpu  %5d MiB rss  load %s\n' "$rep" "$cs" "$tool" "$w" "$c" "$m" "$load" >&2
	done
}
printf 'rep\tcase\ttool\twall\tcpu\trss_mib\tload1\n' >"$results"
nfiles=$(want | cut -d' ' -f1)
for rep in $(seq "$reps"); do
	# 1% of the files change: every 100th, from an offset that moves each repetition.
	find "$src" -type f | sort | awk -v off=$((rep * 37 % 100)) 'NR % 100 == off' >"$bin/changed"
	while IFS= read -r f; do printf 'x' >>"$f"; done <"$bin/changed"
	echo "rep $rep: $(wc -l <"$bin/changed") of $nfiles files changed" >&2
	side_by_side changed-1% rclone-16 partsync scan
	check r
	check p
	cmd rsync-a >>"$dir/log" 2>&1 # both FS copies take this change, untimed:
	cmd partsync-fs >>"$dir/log" 2>&1 # what follows is a re-run with nothing changed
	side_by_side unchanged-fs rsync-a partsync-fs
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
function row(cs, t, anchor) {
	printf "%-14s %-12s %8.2f s wall (%5.2fx %s)  %8.2f s cpu (%5.2fx)  %5d MiB rss\n", cs, t, median(w[cs, t]), median(w[cs, t]) / median(w[cs, anchor]), anchor, median(c[cs, t]), median(c[cs, t]) / median(c[cs, anchor]), median(m[cs, t])
}
END {
	print "\nmedians (ratio to the anchor named)"
	row("changed-1%", "rclone-16", "rclone-16"); row("changed-1%", "partsync", "rclone-16"); row("changed-1%", "partsync", "scan"); row("changed-1%", "scan", "scan")
	row("unchanged-fs", "rsync-a", "rsync-a"); row("unchanged-fs", "partsync-fs", "rsync-a")
}' "$results"

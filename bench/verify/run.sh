#!/usr/bin/env bash
# run.sh DIR [REPS] — the cost of `partsync verify RUN` (issue 13 §4), side by
# side with the tools' own comparisons of the same complete copy:
#
#   FS (rsync, a copy in DIR/dst):
#     partsync-fs     partsync verify -n 4 RUN             (size and mtime: rsync -n -i per partition, and a walk of DST for extras)
#     rsync-n         rsync -a -n SRC/ DST/                 (size and mtime)
#     partsync-fs-sum partsync verify -n 4 --checksum RUN  (content: rsync --checksum per partition)
#     rsync-n-sum     rsync -a -n -i --checksum SRC/ DST/   (content)
#   S3 (rclone, a copy in bench:bucket/p on bench/s3/server, 127.0.0.1):
#     partsync-s3     partsync verify -n 4 RUN             (rclone lsjson of each partition at SRC and DST, and lsf for extras)
#     partsync-s3-sum partsync verify -n 4 --checksum RUN  (rclone check --one-way per partition: MD5)
#     rclone-check    rclone check --one-way SRC bench:bucket/p (size and MD5, the anchor)
#
# Each verify must find DST complete (exit 0; rclone check too), or the
# script stops. The set is bench/copy/mkset's small set (SCALE=0.25: 49,980
# files of 1–16 KiB). Medians of REPS (3), the order rotated; the load
# (1-minute) is printed with each figure; raw figures in DIR/results.tsv.
# The copies (untimed) are kept in DIR for a second run.sh on the same DIR.
set -euo pipefail

dir=${1:?usage: run.sh DIR [REPS]}
reps=${2:-3}
scale=${SCALE:-0.25}
jobs=${JOBS:-4}
# shellcheck source=../lib.sh
source "$(dirname "$0")/../lib.sh"
bench_rclone
bench_setup
trap 'bench_s3_stop; rm -rf "$bin"' EXIT
bench_build "$bin"
(cd "$bench_repo" && go build -o "$bin/mkset" ./bench/copy/mkset && go build -o "$bin/s3server" ./bench/s3/server)

bench_mkset small "$scale"
src=$dir/small/src
mkdir -p "$dir/bucket/p"
bench_s3_start "$dir/bucket" "$dir/log"
if [ ! -e "$dir/.copied-$scale" ]; then
	rm -rf "$dir/runs" "$dir/dst" "$dir/bucket/p" && mkdir -p "$dir/bucket/p"
	echo "first copies (not timed) ..." >&2
	"$bin/partsync" run -n "$jobs" -d "$dir/runs" --run-id fs "$src" "$dir/dst" >>"$dir/log" 2>&1
	"$bin/partsync" run -n "$jobs" -m rclone --rclone-config "$bin/rclone.conf" -d "$dir/runs" --run-id s3 "$src" bench:bucket/p >>"$dir/log" 2>&1
	touch "$dir/.copied-$scale"
fi

cmd() {
	case $1 in
	partsync-fs) "$bin/partsync" verify -n "$jobs" -d "$dir/runs" fs ;;
	partsync-fs-sum) "$bin/partsync" verify -n "$jobs" --checksum -d "$dir/runs" fs ;;
	rsync-n) rsync -a -n "$src/" "$dir/dst/" ;;
	rsync-n-sum) rsync -a -n -i --checksum "$src/" "$dir/dst/" ;;
	partsync-s3) "$bin/partsync" verify -n "$jobs" --rclone-config "$bin/rclone.conf" -d "$dir/runs" s3 ;;
	partsync-s3-sum) "$bin/partsync" verify -n "$jobs" --checksum --rclone-config "$bin/rclone.conf" -d "$dir/runs" s3 ;;
	rclone-check) "$rclone" --config "$bin/rclone.conf" check --one-way "$src" bench:bucket/p ;;
	*) echo "run.sh: unknown command $1" >&2; exit 1 ;;
	esac
}
export -f cmd
export bin rclone dir src jobs

timed() { # timed NAME: "wall cpu" in seconds; the command must succeed
	if ! /usr/bin/time -f '%e %U %S' -o "$bin/time" bash -c 'cmd "$@"' cmd "$1" >>"$dir/log" 2>&1; then
		echo "run.sh: $1 failed (DST not found complete?); see $dir/log" >&2
		exit 1
	fi
	awk '{printf "%.2f %.2f", $1, $2 + $3}' "$bin/time"
}

results=$dir/results.tsv
side_by_side() { # side_by_side CASE TOOL...: each once, the order rotated by $rep
	local cs=$1 k tool w c load
	shift
	local tools=("$@")
	k=$(((rep - 1) % ${#tools[@]}))
	for tool in "${tools[@]:k}" "${tools[@]:0:k}"; do
		load=$(bench_load)
		read -r w c <<<"$(timed "$tool")"
		printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$rep" "$cs" "$tool" "$w" "$c" "$load" >>"$results"
		printf 'rep %d %-8s %-16s %7.2f s wall  %7.2f s cpu  load %s\n' "$rep" "$cs" "$tool" "$w" "$c" "$load" >&2
	done
}
echo "machine: $(bench_machine); $("$rclone" version | head -1); $(rsync --version | head -1); -n $jobs; $(uptime)" >&2
printf 'rep\tcase\ttool\twall\tcpu\tload1\n' >"$results"
for rep in $(seq "$reps"); do
	side_by_side fs partsync-fs rsync-n partsync-fs-sum rsync-n-sum
	side_by_side s3 partsync-s3 partsync-s3-sum rclone-check
done
echo "end: $(uptime)" >&2

awk -F'\t' '
NR > 1 { w[$2, $3] = w[$2, $3] " " $4; c[$2, $3] = c[$2, $3] " " $5 }
function median(list,   a, n, i, j, x) {
	n = split(list, a, " ")
	for (i = 2; i <= n; i++) { x = a[i]; for (j = i - 1; j >= 1 && a[j] + 0 > x + 0; j--) a[j + 1] = a[j]; a[j + 1] = x }
	return n == 0 ? 0 : n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function row(cs, t, anchor) {
	printf "%-4s %-16s %7.2f s wall (%5.2fx %s)  %7.2f s cpu\n", cs, t, median(w[cs, t]), median(w[cs, t]) / median(w[cs, anchor]), anchor, median(c[cs, t])
}
END {
	print "\nmedians (ratio to the anchor named)"
	row("fs", "partsync-fs", "rsync-n"); row("fs", "rsync-n", "rsync-n")
	row("fs", "partsync-fs-sum", "rsync-n-sum"); row("fs", "rsync-n-sum", "rsync-n-sum")
	row("s3", "partsync-s3", "rclone-check"); row("s3", "partsync-s3-sum", "rclone-check"); row("s3", "rclone-check", "rclone-check")
}' "$results"

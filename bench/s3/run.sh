#!/usr/bin/env bash
# run.sh DIR [REPS] — copy to S3 on loopback: `rclone copy --transfers 16`
# (the anchor), fpart + 8 parallel `rclone copy --files-from` (the usual
# hand-made parallel copy), and `partsync run -m rclone -n 8`, side by side on
# the seeded small set (bench/copy/mkset: 200,010 files of 1–16 KiB, 1.74 GB).
#
# Each tool, in each repetition (default 3; the order rotates), copies into a
# fresh S3 server (bench/s3/server: gofakes3, objects as files in DIR/bucket,
# 127.0.0.1), then
# copies again onto the complete bucket (re-run); the object count is checked
# after the first copy. Prints medians and ratios against the rclone anchor,
# and leaves the raw times in DIR/results.tsv.
#
# Environment: SCALE (1: the full set; 0.05 for a quick try), JOBS (8),
# FILES (10000: entries per partition for fpart and partsync alike), RCLONE
# (the rclone binary every side runs, default the one on PATH; e.g.
# RCLONE=$(bash .ci/rclone.sh) for the version the image pins). The server's
# request counts per copy (LIST, HEAD, PUT, ...) go to DIR/requests.log.
set -euo pipefail
# rclone 1.60 (Debian) cannot open an S3 remote at all when AWS_CA_BUNDLE is
# set ("LoadCustomCABundleError"); the server here is plain http.
unset AWS_CA_BUNDLE

dir=${1:?usage: run.sh DIR [REPS]}
reps=${2:-3}
scale=${SCALE:-1}
jobs=${JOBS:-8}
files=${FILES:-10000}
rclone=$(command -v "${RCLONE:-rclone}") || { echo "run.sh: no rclone ${RCLONE:-on PATH}" >&2; exit 1; }
# partsync runs the rclone first on PATH: the same binary as the anchor.
PATH=$(dirname "$rclone"):$PATH
repo=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../lib.sh
source "$repo/bench/lib.sh"
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
bin=$(mktemp -d)
server_pid=
cleanup() {
	[ -z "$server_pid" ] || kill "$server_pid" 2>/dev/null || true
	rm -rf "$bin"
}
trap cleanup EXIT

(cd "$repo" && go build -o "$bin/partsync" ./cmd/partsync && go build -o "$bin/mkset" ./bench/copy/mkset &&
	go build -o "$bin/s3server" ./bench/s3/server)

src=$dir/small/src
if [ ! -e "$dir/small/.complete-$scale" ]; then
	echo "building the small set (scale $scale) in $src ..." >&2
	rm -rf "$dir/small"
	mkdir -p "$dir/small"
	"$bin/mkset" -set small -scale "$scale" "$src" >&2
	sync
	touch "$dir/small/.complete-$scale"
fi
want=$(find "$src" -type f | wc -l) # also warms the cache

# start_server: a fresh, empty S3 server; writes the rclone config for it.
start_server() {
	rm -f "$bin/url"
	rm -rf "$dir/bucket"
	"$bin/s3server" -addr 127.0.0.1:0 -url-file "$bin/url" -dir "$dir/bucket" -count-file "$bin/counts" >>"$dir/log" 2>&1 &
	server_pid=$!
	for _ in $(seq 100); do [ -s "$bin/url" ] && break; sleep 0.05; done
	[ -s "$bin/url" ] || { echo "run.sh: the S3 server did not start; see $dir/log" >&2; exit 1; }
	# Throwaway keys of a server that checks none; the file is the only place they are.
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
}

stop_server() {
	kill "$server_pid" && wait "$server_pid" 2>/dev/null || true
	server_pid=
}

# copy TOOL: one copy of $src to the bucket, output to the log.
copy() {
	case $1 in
	rclone-16) "$rclone" --config "$bin/rclone.conf" copy --transfers 16 --checkers 16 "$src" bench:bucket ;;
	fpart-rclone-*)
		rm -rf "$bin/parts" && mkdir "$bin/parts"
		# fpart lists paths as it found them below "." ("./a/b"); rclone's
		# --files-from takes them relative to the source root, without "./"
		# (with it, rclone copies nothing and exits 0).
		(cd "$src" && fpart -f "$files" -o "$bin/parts/part" .) >/dev/null
		find "$bin/parts" -name 'part.*' -exec sed -i 's|^\./||' {} +
		find "$bin/parts" -name 'part.*' -print0 |
			xargs -0 -P "${1#fpart-rclone-}" -I{} "$rclone" --config "$bin/rclone.conf" copy --files-from {} "$src" bench:bucket
		;;
	partsync-*) "$bin/partsync" run -m rclone -n "${1#partsync-}" -f "$files" --rclone-config "$bin/rclone.conf" -d "$bin/runs" "$src" bench:bucket ;;
	esac
}

# timed TOOL: prints the seconds of one copy.
timed() { bench_timed "$dir/log" copy "$1"; }

tools=(rclone-16 "fpart-rclone-$jobs" "partsync-$jobs")
results=$dir/results.tsv
: >"$dir/log"
printf 'set\trep\ttool\tphase\tseconds\tload1\n' >"$results"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr); $("$rclone" version | head -1), $want files" >&2
for rep in $(seq "$reps"); do
	k=$(((rep - 1) % ${#tools[@]}))
	order=("${tools[@]:k}" "${tools[@]:0:k}")
	for tool in "${order[@]}"; do
		start_server
		rm -rf "$bin/runs"
		load=$(awk '{print $1}' /proc/loadavg)
		first=$(timed "$tool")
		got=$("$rclone" --config "$bin/rclone.conf" size --json bench:bucket | sed -n 's/.*"count":\([0-9]*\).*/\1/p')
		if [ "$got" != "$want" ]; then
			echo "run.sh: $tool left $got of $want objects" >&2
			exit 1
		fi
		rm -rf "$bin/runs"
		rerun=$(timed "$tool")
		stop_server
		printf '%s rep %s (first copy, then re-run): %s\n' "$tool" "$rep" "$(tr '\n' ' ' <"$bin/counts")" >>"$dir/requests.log"
		printf 'small\t%s\t%s\tfirst\t%s\t%s\nsmall\t%s\t%s\trerun\t%s\t%s\n' "$rep" "$tool" "$first" "$load" "$rep" "$tool" "$rerun" "$load" >>"$results"
		printf 'rep %d %-16s first %8.2f s  re-run %7.2f s  (load %s)\n' "$rep" "$tool" "$first" "$rerun" "$load" >&2
	done
done

# Medians, and ratios against the rclone anchor (the fpsync column of
# summary.awk compares partsync with the fpart + rclone copy here).
awk -F'\t' -v tools="${tools[*]}" -v sets=small -v anchor=rclone-16 -v peer="fpart-rclone-$jobs" -f "$repo/bench/copy/summary.awk" "$results"

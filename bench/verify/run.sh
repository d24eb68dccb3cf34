#!/usr/bin/env bash
# run.sh DIR [REPS] — what partsync verify costs against rclone to S3 on
# loopback (bench/s3/server), issue 13 §4: after `partsync run -m rclone`
# copied the small set (bench/copy/mkset, SCALE 0.05 by default: 10,000
# files of 1–16 KiB) to a fresh bucket, each side compares SRC with the
# bucket, REPS times (default 3, the order rotating), timed with
# /usr/bin/time (wall, CPU of the process tree):
#   verify           partsync verify -n 4 RUN: size and mtime (rclone lsjson of
#                    each part at SRC and at DST)
#   verify-checksum  partsync verify -n 4 --checksum RUN (rclone check, MD5)
#   check-size       rclone check --one-way --size-only --checkers 16 SRC DST:
#                    what verify ran before it compared mtimes (whole tree)
#   copy-noop        rclone copy --transfers 16 --checkers 16 SRC DST onto the
#                    complete bucket: rclone's own size+mtime test (the anchor)
# Prints the medians; raw figures in DIR/results.tsv.
set -euo pipefail
unset AWS_CA_BUNDLE
dir=${1:?usage: run.sh DIR [REPS]}
reps=${2:-3}
scale=${SCALE:-0.05}
root=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
bin=$dir/bin
mkdir -p "$bin"
(cd "$root" && go build -o "$bin/s3server" ./bench/s3/server && go build -o "$bin/mkset" ./bench/copy/mkset && go build -o "$bin/partsync" ./cmd/partsync)
src=$dir/small/src
if [ ! -e "$dir/small/.complete-$scale" ]; then
	rm -rf "$dir/small"
	mkdir -p "$dir/small"
	"$bin/mkset" -set small -scale "$scale" "$src" >&2
	touch "$dir/small/.complete-$scale"
fi
rm -rf "$dir/bucket" "$dir/runs" "$bin/url"
"$bin/s3server" -addr 127.0.0.1:0 -url-file "$bin/url" -dir "$dir/bucket" >>"$dir/log" 2>&1 &
server_pid=$!
trap 'kill $server_pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s "$bin/url" ] && break; sleep 0.05; done
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
export RCLONE_CONFIG=$bin/rclone.conf
dst=bench:bucket/copy
"$bin/partsync" run -m rclone -n 4 -d "$dir/runs" --run-id b "$src" "$dst" >/dev/null 2>"$dir/run.log"
files=$(find "$src" -type f | wc -l)
echo "set: $files files; rclone $(rclone version | head -1); load: $(uptime | sed 's/.*load/load/')"
sides=(verify verify-checksum check-size copy-noop)
side() {
	case $1 in
	verify) "$bin/partsync" verify -n 4 -d "$dir/runs" b ;;
	verify-checksum) "$bin/partsync" verify -n 4 --checksum -d "$dir/runs" b ;;
	check-size) rclone check --one-way --size-only --checkers 16 "$src" "$dst" ;;
	copy-noop) rclone copy --transfers 16 --checkers 16 "$src" "$dst" ;;
	esac
}
: >"$dir/results.tsv"
for rep in $(seq "$reps"); do
	for k in "${!sides[@]}"; do
		s=${sides[$(((k + rep) % ${#sides[@]}))]}
		/usr/bin/time -f "%e %U %S" -o "$dir/time" bash -c "$(declare -f side); bin=$bin dir=$dir src=$src dst=$dst side $s" >/dev/null 2>>"$dir/sides.log" || { echo "run.sh: $s failed; see $dir/sides.log" >&2; exit 1; }
		read -r wall user sys <"$dir/time"
		printf '%s\t%s\t%s\n' "$s" "$wall" "$(echo "$user + $sys" | bc)" >>"$dir/results.tsv"
	done
done
echo "load after: $(uptime | sed 's/.*load/load/')"
for s in "${sides[@]}"; do
	awk -F'\t' -v s="$s" '$1 == s {w[++n] = $2; c[n] = $3} END {
		asort(w); asort(c); printf "%-16s wall %6.2f s  cpu %6.2f s  (median of %d)\n", s, w[int((n + 1) / 2)], c[int((n + 1) / 2)], n }' "$dir/results.tsv"
done

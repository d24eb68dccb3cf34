#!/usr/bin/env bash
# run.sh DIR [REPS] — copy to S3 on loopback: `rclone copy --transfers 16`
# (the anchor) against `partsync run -m rclone SRC DST` with its defaults (no
# -n/-f/-s/-o: what a user gets), side by side, on the seeded sets of
# bench/copy/mkset: small (200,010 files of 1–16 KiB, 1.74 GB) and mixed
# (20,000 long-tailed files, 4.3 GB).
#
# Each tool, in each repetition (default 3; the order rotates, so every tool
# sees the same load; give a multiple of the number of tools, 4 for two, so
# that each takes each place equally often: the copy timed second in a
# repetition tends to be slower, whatever the tool, bench/BENCHMARKS.md),
# copies into a fresh S3 server (bench/s3/server:
# gofakes3, objects as files in DIR/bucket, 127.0.0.1), then copies again
# onto the complete bucket (re-run). After the first copy the bucket must
# hold every file of the set with its bytes (`rclone size`: count and total),
# or the script stops. Each copy is timed with /usr/bin/time: wall seconds and
# CPU (user + system) of the whole process tree (partsync and every rclone it
# waits for), and the largest resident set of any one process of it (max RSS:
# the rclone, for every side); the server's CPU (from /proc) is printed
# beside it, not counted.
# Prints medians and ratios against the anchor; raw figures in
# DIR/results.tsv, the server's request counts per copy (LIST, HEAD, PUT, ...)
# in DIR/requests.log.
#
# Environment: SETS ("small mixed"), SCALE (1: the full sets; 0.25 for a
# quicker try), TOOLS (the sides, default "rclone-16 partsync"; also
# "partsync-gogc100": run's defaults with Go's own GOGC=100 for rclone
# instead of run's 400 — "partsync-live": partitions of -f 10000 -s 512MiB,
# each copied while the scan goes on — "partsync-n1": -n 1 -o "--retries=1
# --transfers=16 --checkers=16", run's defaults without --ignore-checksum
# (rclone's second MD5 of each file kept) —
# "partsync-1p": the same with one partition (-f 1000000 -s 1T: one rclone
# for the whole set, as the anchor, after partsync's scan) — and
# "fpart-rclone-8": fpart + 8 `rclone copy --files-from`),
# RCLONE (the rclone binary every side runs, default the one on PATH; e.g.
# RCLONE=$(bash .ci/rclone.sh) for the version the image pins), BUCKET (the
# server's directory, default DIR/bucket; BUCKET=/dev/shm/bucket keeps the
# uploads in memory, so that the disk's writeback, whose CPU neither side
# is charged, does not spread the figures: bench/BENCHMARKS.md).
set -euo pipefail

dir=${1:?usage: run.sh DIR [REPS]}
reps=${2:-3}
bucket=${BUCKET:-$dir/bucket}
scale=${SCALE:-1}
read -r -a sets <<<"${SETS:-small mixed}"
read -r -a tools <<<"${TOOLS:-rclone-16 partsync}"
# shellcheck source=../lib.sh
source "$(dirname "$0")/../lib.sh"
bench_rclone # partsync runs the same rclone as the anchor
bench_setup
trap 'bench_s3_stop; rm -rf "$bin"' EXIT
(cd "$bench_repo" && go build -o "$bin/partsync" ./cmd/partsync && go build -o "$bin/mkset" ./bench/copy/mkset &&
	go build -o "$bin/s3server" ./bench/s3/server)

declare -A want_files want_bytes
for set in "${sets[@]}"; do
	bench_mkset "$set" "$scale"
	want_files[$set]=$(find "$dir/$set/src" -type f | wc -l) # also warms the cache
	want_bytes[$set]=$(find "$dir/$set/src" -type f -printf '%s\n' | awk '{s += $1} END {printf "%.0f", s}')
done

# start_server: a fresh, empty S3 server and the rclone config for it.
start_server() {
	rm -rf "$bucket"
	bench_s3_start "$bucket" "$dir/log"
}

# server_cpu: the server's CPU seconds so far (user + system).
server_cpu() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$bench_s3_pid/stat"; }

# copy TOOL SRC: one copy of SRC to the bucket.
copy() {
	local src=$2
	case $1 in
	rclone-16) "$rclone" --config "$bin/rclone.conf" copy --transfers 16 --checkers 16 "$src" bench:bucket ;;
	fpart-rclone-*)
		rm -rf "$bin/parts" && mkdir "$bin/parts"
		# fpart lists paths as it found them below "." ("./a/b"); rclone's
		# --files-from takes them relative to the source root, without "./".
		(cd "$src" && fpart -f 10000 -o "$bin/parts/part" .) >/dev/null
		find "$bin/parts" -name 'part.*' -exec sed -i 's|^\./||' {} +
		find "$bin/parts" -name 'part.*' -print0 |
			xargs -0 -P "${1#fpart-rclone-}" -I{} "$rclone" --config "$bin/rclone.conf" copy --files-from {} "$src" bench:bucket
		;;
	partsync) "$bin/partsync" run -m rclone --rclone-config "$bin/rclone.conf" -d "$bin/runs" "$src" bench:bucket ;;
	partsync-gogc100) GOGC=100 "$bin/partsync" run -m rclone --rclone-config "$bin/rclone.conf" -d "$bin/runs" "$src" bench:bucket ;;
	partsync-n1) "$bin/partsync" run -m rclone -n 1 -o "--retries=1 --transfers=16 --checkers=16" --rclone-config "$bin/rclone.conf" -d "$bin/runs" "$src" bench:bucket ;;
	partsync-1p) "$bin/partsync" run -m rclone -n 1 -f 1000000 -s 1T -o "--retries=1 --transfers=16 --checkers=16" --rclone-config "$bin/rclone.conf" -d "$bin/runs" "$src" bench:bucket ;;
	partsync-live) "$bin/partsync" run -m rclone -f 10000 -s 512MiB --rclone-config "$bin/rclone.conf" -d "$bin/runs" "$src" bench:bucket ;;
	*) echo "run.sh: unknown tool $1" >&2; exit 1 ;;
	esac
}
# /usr/bin/time runs copy in a child bash.
export -f copy
export bin rclone dir

# timed TOOL SRC: one copy; prints "wall cpu server-cpu max-rss" (seconds;
# MiB of the largest process).
timed() {
	local s0
	s0=$(server_cpu)
	if ! /usr/bin/time -f '%e %U %S %M' -o "$bin/time" bash -c 'copy "$@"' copy "$@" >>"$dir/log" 2>&1; then
		echo "run.sh: $1 failed on $2; see $dir/log" >&2
		exit 1
	fi
	awk -v s0="$s0" -v s1="$(server_cpu)" '{printf "%.2f %.2f %.2f %.0f", $1, $2 + $3, s1 - s0, $4 / 1024}' "$bin/time"
}

results=$dir/results.tsv
: >"$dir/log"
: >"$dir/requests.log"
printf 'set\trep\ttool\tphase\twall\tcpu\tserver_cpu\tload1\tmax_rss_mib\n' >"$results"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr); $("$rclone" version | head -1); $(date -u '+%Y-%m-%d %H:%M UTC'); $(uptime)" >&2
for rep in $(seq "$reps"); do
	for set in "${sets[@]}"; do
		k=$(((rep - 1) % ${#tools[@]}))
		order=("${tools[@]:k}" "${tools[@]:0:k}")
		for tool in "${order[@]}"; do
			start_server
			rm -rf "$bin/runs"
			load=$(cut -d' ' -f1 /proc/loadavg)
			read -r fw fc fs frss <<<"$(timed "$tool" "$dir/$set/src")"
			read -r got_files got_bytes <<<"$("$rclone" --config "$bin/rclone.conf" size --json bench:bucket |
				sed -n 's/.*"count":\([0-9]*\).*"bytes":\([0-9]*\).*/\1 \2/p')"
			if [ "$got_files" != "${want_files[$set]}" ] || [ "$got_bytes" != "${want_bytes[$set]}" ]; then
				echo "run.sh: $tool left $got_files files, $got_bytes bytes of ${want_files[$set]}, ${want_bytes[$set]} ($set)" >&2
				exit 1
			fi
			rm -rf "$bin/runs"
			read -r rw rc rs rrss <<<"$(timed "$tool" "$dir/$set/src")"
			bench_s3_stop
			printf '%s %s rep %s (first copy, then re-run): %s\n' "$set" "$tool" "$rep" "$(tr '\n' ' ' <"$bin/counts")" >>"$dir/requests.log"
			printf '%s\t%s\t%s\tfirst\t%s\t%s\t%s\t%s\t%s\n%s\t%s\t%s\trerun\t%s\t%s\t%s\t%s\t%s\n' \
				"$set" "$rep" "$tool" "$fw" "$fc" "$fs" "$load" "$frss" "$set" "$rep" "$tool" "$rw" "$rc" "$rs" "$load" "$rrss" >>"$results"
			printf '%-6s rep %d %-15s first %7.2f s cpu %7.2f s (server %6.2f, max rss %s MiB)  re-run %6.2f s cpu %6.2f s (server %5.2f, %s MiB)  load %s, %s files ok\n' \
				"$set" "$rep" "$tool" "$fw" "$fc" "$fs" "$frss" "$rw" "$rc" "$rs" "$rrss" "$load" "$got_files" >&2
		done
	done
done
echo "end: $(uptime)" >&2

# Medians per set, tool and phase, and their ratios to the anchor (the first tool).
awk -F'\t' -v tools="${tools[*]}" -v sets="${sets[*]}" '
NR > 1 { w[$1, $3, $4] = w[$1, $3, $4] " " $5; c[$1, $3, $4] = c[$1, $3, $4] " " $6; r[$1, $3, $4] = r[$1, $3, $4] " " $9 }
function median(list,   a, n, i, j, x) {
	n = split(list, a, " ")
	for (i = 2; i <= n; i++) { x = a[i]; for (j = i - 1; j >= 1 && a[j] + 0 > x + 0; j--) a[j + 1] = a[j]; a[j + 1] = x }
	return n == 0 ? 0 : n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
END {
	nt = split(tools, tl, " "); ns = split(sets, sl, " ")
	for (s = 1; s <= ns; s++) {
		printf "\n%s set, medians (ratio to %s)\n%-15s %17s %17s %17s %17s %17s\n", sl[s], tl[1], "tool", "first wall s", "first cpu s", "re-run wall s", "re-run cpu s", "first rss MiB"
		for (i = 1; i <= nt; i++) {
			line = sprintf("%-15s", tl[i])
			split("first first rerun rerun", ph, " ")
			for (k = 1; k <= 4; k++) {
				m = k % 2 ? median(w[sl[s], tl[i], ph[k]]) : median(c[sl[s], tl[i], ph[k]])
				a = k % 2 ? median(w[sl[s], tl[1], ph[k]]) : median(c[sl[s], tl[1], ph[k]])
				line = line sprintf(" %8.2f (%5.2fx)", m, a > 0 ? m / a : 0)
			}
			m = median(r[sl[s], tl[i], "first"]); a = median(r[sl[s], tl[1], "first"])
			print line sprintf(" %8.0f (%5.2fx)", m, a > 0 ? m / a : 0)
		}
	}
}' "$results"

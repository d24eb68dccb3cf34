# lib.sh — helpers sourced by the bench/ scripts (not run on its own).

# bench_repo: the repository root.
bench_repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# bench_setup: make the data directory $dir absolute (creating it), and a
# scratch directory $bin (binaries, run directories) removed on exit.
bench_setup() {
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	bin=$(mktemp -d)
	bench_tmp=$bin
	trap 'rm -rf "$bin"' EXIT
}

# bench_build DIR: build partsync, scanrate and peakrss into DIR; with
# slowfs as a further argument, also bench/slowfs (its own module).
bench_build() {
	local bin=$1
	shift
	(cd "$bench_repo" && go build -o "$bin/partsync" ./cmd/partsync &&
		go build -o "$bin/scanrate" ./bench/scan/scanrate &&
		go build -o "$bin/peakrss" ./bench/peakrss)
	if [ "${1:-}" = slowfs ]; then
		(cd "$bench_repo/bench/slowfs" && go build -o "$bin/slowfs" .)
	fi
}

# bench_make_tree DIR DIRS: with $bin/scanrate, build (once) the seeded tree of DIRS directories ×
# 30 sparse files of 1–16 KiB in DIR, flush it to disk, and print its file count.
bench_make_tree() {
	local tree=$1 dirs=$2
	bench_once "$tree" "$tree.complete" "$dirs directories × 30 files" "$bin/scanrate" -make -dirs "$dirs" "$tree"
	find "$tree" -type f | wc -l # also warms the cache
}

# bench_once DIR MARKER WHAT CMD...: unless MARKER exists, make DIR afresh
# with CMD, flush it to disk and create MARKER.
bench_once() {
	local d=$1 marker=$2 what=$3
	shift 3
	[ ! -e "$marker" ] || return 0
	echo "building $d: $what ..." >&2
	rm -rf "${d:?}"
	mkdir -p "$d"
	"$@" >&2
	sync # writeback running during the timings would slow every side
	touch "$marker"
}

# bench_time CMD...: run CMD with its output discarded; print its wall seconds.
# A failing command stops the script: a benchmark of a failed run means nothing.
bench_time() {
	local s e
	s=$(date +%s.%N)
	if ! "$@" >/dev/null 2>"$bench_tmp/err"; then
		echo "failed: $*" >&2
		cat "$bench_tmp/err" >&2
		return 1
	fi
	e=$(date +%s.%N)
	echo "$e - $s" | bc -l
}

# bench_median N...: the median of the numbers given.
bench_median() {
	printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'
}

# bench_rounds FILES: RUNS rounds (default 3), each running bench_step LABEL
# for every LABEL in the array labels, in turn, so that every command sees the
# same load; then a table of the median seconds, files/s and the ratio to the
# first label (the anchor), with the load average at each round.
bench_rounds() {
	local files=$1 l r s anchor
	local -A t
	local loads=()
	for r in $(seq "${RUNS:-3}"); do
		loads+=("$(bench_load)")
		for l in "${labels[@]}"; do
			t[$l]+=" $(bench_time bench_step "$l")"
		done
		echo "round $r done, load $(bench_load)" >&2
	done
	loads+=("$(bench_load)")
	# shellcheck disable=SC2086
	anchor=$(bench_median ${t[${labels[0]}]})
	printf '%-26s %9s %12s %9s   %s\n' "" "median s" "files/s" "vs ${labels[0]%% *}" "runs (s)"
	for l in "${labels[@]}"; do
		# shellcheck disable=SC2086
		s=$(bench_median ${t[$l]})
		# shellcheck disable=SC2086
		printf '%-26s %9.3f %12.0f %8.2fx  %s\n' "$l" "$s" "$(echo "$files / $s" | bc -l)" \
			"$(echo "$anchor / $s" | bc -l)" "$(printf '%.3f ' ${t[$l]})"
	done
	echo "load average (1 min) at each round's start and at the end: ${loads[*]}"
}

# bench_load: the 1-minute load average.
bench_load() { cut -d' ' -f1 /proc/loadavg; }

# bench_machine: one line about the machine.
bench_machine() {
	printf '%s cores, %s GiB RAM, kernel %s, %s, load %s\n' "$(nproc)" \
		"$(free -g | awk '/^Mem:/{print $2}')" "$(uname -r)" "$(date -u '+%Y-%m-%d %H:%M UTC')" "$(cut -d' ' -f1-3 /proc/loadavg)"
}

# bench_timed LOG CMD...: runs CMD with its output appended to LOG and prints
# the seconds it took; a failing CMD ends the script, naming CMD and LOG.
bench_timed() {
	local log=$1 s e
	shift
	s=$(date +%s.%N)
	if ! "$@" >>"$log" 2>&1; then
		echo "$(basename "$0"): $* failed; see $log" >&2
		exit 1
	fi
	e=$(date +%s.%N)
	awk -v s="$s" -v e="$e" 'BEGIN { printf "%.3f", e - s }'
}

# bench_rclone: the rclone every side of an S3 benchmark runs, in $rclone
# ($RCLONE, default the one on PATH), put first on PATH so that partsync runs
# the same binary. rclone 1.60 (Debian) cannot open an S3 remote at all when
# AWS_CA_BUNDLE is set ("LoadCustomCABundleError"); the server here is plain
# http, so it is unset.
bench_rclone() {
	unset AWS_CA_BUNDLE
	rclone=$(command -v "${RCLONE:-rclone}") || { echo "$(basename "$0"): no rclone ${RCLONE:-on PATH}" >&2; exit 1; }
	PATH=$(dirname "$rclone"):$PATH
}

# bench_mkset SET SCALE: build (once) bench/copy/mkset's SET at SCALE in
# $dir/SET/src with $bin/mkset, flushed to disk.
bench_mkset() {
	local set=$1 scale=$2
	bench_once "$dir/$set" "$dir/$set/.complete-$scale" "the $set set, scale $scale" "$bin/mkset" -set "$set" -scale "$scale" "$dir/$set/src"
}

# bench_s3_start BUCKET LOG: start bench/s3/server ($bin/s3server) on
# 127.0.0.1 with its objects as files under BUCKET (kept: a server started
# again on it serves the same objects), its output appended to LOG, and
# write $bin/rclone.conf, remote "bench:", for it. The caller stops it with
# bench_s3_stop (also in its EXIT trap): $bench_s3_pid is its process.
bench_s3_start() {
	local bucket=$1 log=$2
	rm -f "$bin/url" "$bin/counts"
	"$bin/s3server" -addr 127.0.0.1:0 -url-file "$bin/url" -dir "$bucket" -count-file "$bin/counts" >>"$log" 2>&1 &
	bench_s3_pid=$!
	for _ in $(seq 100); do [ -s "$bin/url" ] && break; sleep 0.05; done
	[ -s "$bin/url" ] || { echo "$(basename "$0"): the S3 server did not start; see $log" >&2; exit 1; }
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

# bench_s3_stop: stop the server bench_s3_start started, if any.
bench_s3_stop() {
	[ -n "${bench_s3_pid:-}" ] || return 0
	kill "$bench_s3_pid" 2>/dev/null && wait "$bench_s3_pid" 2>/dev/null || true
	bench_s3_pid=
}

# bench_drop_caches: write back dirty pages and drop the page, dentry and
# inode caches (root only), so that the next command meets a cold metadata
# cache; fails when this machine does not allow it.
bench_drop_caches() {
	sync && echo 3 >/proc/sys/vm/drop_caches
}

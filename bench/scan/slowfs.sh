#!/usr/bin/env bash
# slowfs.sh DIR [WORKERS...] — scan rate on a source whose metadata calls are
# slow (as on NFS or Lustre): partsync against fpart, side by side.
#
# Builds (once) a seeded tree of DIRS directories × 30 sparse files (default
# 667: 20,010 files) in DIR/slowtree, mounts it read-only through bench/slowfs
# (a FUSE loopback that adds DELAY, default 1ms, to every LOOKUP, GETATTR,
# OPENDIR and READDIR request, with no entry or attribute caching) on
# DIR/slowmnt, then runs RUNS rounds (default 3), each round running in turn:
#   fpart -f 2000 -o /dev/null MNT
#   scanrate MNT                  (generator/scan.Walk, default workers, and each WORKERS given)
#   partsync generate ... MNT     (the whole pipeline: scan, partitions, run dir, workflow)
# and prints the median seconds, files/s, and the ratio to fpart; then checks
# that generate makes the same partitions through the mount as on the tree
# itself. Unmounts on
# exit. Needs root (slowfs mounts with mount(2); without root it needs
# fusermount3 from Debian's fuse3), /dev/fuse, go and fpart.
#
# fpart makes one request at a time, about 2 per file (LOOKUP then GETATTR),
# so it pays ~2.5 ms per file: 20,010 files take it ~50 s a run.
set -euo pipefail

dir=${1:?usage: slowfs.sh DIR [WORKERS...]}
shift
dirs=${DIRS:-667}
delay=${DELAY:-1ms}
. "$(dirname "$0")/../lib.sh"

bench_setup
mnt=$dir/slowmnt
fspid=""
cleanup() {
	if [ -n "$fspid" ]; then
		kill "$fspid" 2>/dev/null || true # slowfs unmounts on SIGTERM
		wait "$fspid" 2>/dev/null || true
	fi
	if mountpoint -q "$mnt"; then umount "$mnt" || umount -l "$mnt" || true; fi
	rm -rf "$bin"
}
trap cleanup EXIT

bench_build "$bin" slowfs
files=$(bench_make_tree "$dir/slowtree" "$dirs")
mkdir -p "$mnt"
if mountpoint -q "$mnt"; then
	echo "slowfs.sh: $mnt is already a mount point; unmount it first (umount $mnt)" >&2
	exit 1
fi
"$bin/slowfs" -delay "$delay" "$dir/slowtree" "$mnt" 2>"$bin/slowfs.log" &
fspid=$!
for _ in $(seq 100); do
	mountpoint -q "$mnt" && break
	sleep 0.1
done
mountpoint -q "$mnt" || { cat "$bin/slowfs.log" >&2; exit 1; }

gen() {
	rm -rf "$bin/runs"
	"$bin/partsync" generate -d "$bin/runs" --pvc "bench:$dir" --pvc "tmp:$bin" \
		--output-file "$bin/wf.yaml" "$mnt" "$dir/dst"
}

echo "machine: $(bench_machine)"
echo "tree: $files files in $dirs directories, mounted through slowfs with $delay per metadata request"
bench_step() {
	case $1 in
	fpart*) fpart -f 2000 -o /dev/null "$mnt" ;;
	scan*) w=${1#*workers=} && "$bin/scanrate" -workers "${w%% *}" "$mnt" ;;
	partsync*) gen ;;
	esac
}
labels=("fpart -f 2000" "scan workers=0 (default)")
for w in "$@"; do labels+=("scan workers=$w"); done
labels+=("partsync generate")
bench_rounds "$files"

# The timings mean something only if the scan through the mount is right: its
# partitions must be those of the tree itself, byte for byte.
rm -rf "$bin/check"
for src in "$dir/slowtree" "$mnt"; do
	"$bin/partsync" generate -d "$bin/check" --run-id "$(basename "$src")" --pvc "bench:$dir" --pvc "tmp:$bin" \
		--output-file "$bin/check.yaml" "$src" "$dir/dst" 2>/dev/null
done
if diff -r "$bin/check/slowtree/parts" "$bin/check/slowmnt/parts" >/dev/null &&
	diff "$bin/check/slowtree/skipped" "$bin/check/slowmnt/skipped" >/dev/null; then
	echo "check: the partitions made through the mount are byte-identical to those of the tree ($(ls "$bin/check/slowmnt/parts" | wc -l) part files)"
else
	echo "check FAILED: the partitions made through the mount differ from those of the tree" >&2
	exit 1
fi

#!/usr/bin/env bash
# run.sh DIR — every scan-side benchmark, one after the other, with the
# machine and the load: what bench/BENCHMARKS.md reports. DIR holds the
# seeded trees (built once, reused by later runs; ~1.3M inodes, little data).
#
#   bench/scan/compare.sh DIR/local 8 64     warm local tree, 200,010 files
#   bench/scan/slowfs.sh  DIR/slow 8 128     FUSE loopback with 1ms per metadata request, 20,010 files (root)
#   bench/mem.sh          DIR/mem            peak memory of generate at 100k and 1M files
#   go test -bench ScanAgainstAnchors          the Go benchmark: scan vs fpart and find, 200,010 files
#
# The copy benchmarks (run, rsync, fpsync, rclone) are bench/copy/.
set -euo pipefail
dir=${1:?usage: run.sh DIR}
here=$(cd "$(dirname "$0")" && pwd)
echo "== $(date -u '+%Y-%m-%d %H:%M:%S UTC'), $(nproc) cores, kernel $(uname -r)"
free -g | sed -n 1,2p
df -h "$dir" 2>/dev/null | tail -1 || true
uptime
echo "== scan, warm local tree"
bash "$here/scan/compare.sh" "$dir/local" 8 64
uptime
echo "== scan, slow metadata (FUSE, 1ms per request)"
bash "$here/scan/slowfs.sh" "$dir/slow" 8 128
uptime
echo "== memory of partsync generate"
bash "$here/mem.sh" "$dir/mem"
uptime
echo "== Go benchmark: scan against fpart and find"
(cd "$here/.." && go test -run '^$' -bench ScanAgainstAnchors -benchtime 3x ./bench/scan/)
uptime

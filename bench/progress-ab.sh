#!/bin/bash
# partsync run, 20000 files of 1 KiB in 20 dirs, -n 2: rsync's progress read (default) vs off (-o ... --info=progress0), CPU of the whole tree of processes.
set -e
mkdir -p "${WORK:-/tmp/pbench}" && cd "${WORK:-/tmp/pbench}"
if [ ! -d src ]; then mkdir -p src; for d in $(seq 1 20); do mkdir src/d$d; for f in $(seq 1 1000); do head -c 1024 /dev/zero > src/d$d/f$f; done; done; fi
P=${PARTSYNC:-partsync}
for i in 1 2 3; do
 for mode in progress off; do
  rm -rf dst runs; mkdir dst
  opts="-a --numeric-ids -H"; [ $mode = off ] && opts="$opts --info=progress0"
  /usr/bin/time -f "$mode %e s wall %U user %S sys" $P run -q -n 2 -f 2000 -d runs -o "$opts" src dst 2>&1 >/dev/null | tail -1
 done
done
uptime

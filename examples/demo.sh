#!/usr/bin/env bash
# The main job on the embedded default: builds a sample tree, copies it with
# `partsync run` on this machine (no cluster), and verifies every byte.
# Extra arguments go to `partsync demo` (for example: -m rclone -n 8).
set -euo pipefail
cd "$(dirname "$0")/.."

tool=rsync
for ((i = 1; i <= $#; i++)); do
  case "${!i}" in
    -m|--tool) j=$((i + 1)); tool="${!j}" ;;
    --tool=*) tool="${!i#--tool=}" ;;
  esac
done
if ! command -v "$tool" >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "demo: installing $tool (apt-get)" >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$tool" >/dev/null
  else
    echo "demo: $tool is not installed; install it (Debian: sudo apt-get install $tool) and run again" >&2
    exit 2
  fi
fi
exec go run ./cmd/partsync demo "$@"

#!/usr/bin/env bash
# Prints the path of rclone at the version the Dockerfile pins (ARG
# RCLONE_VERSION), building it once from its Go module into a cache, as the
# Dockerfile's build stage does (the Go checksum database verifies the
# source). Later calls print the cached binary at once.
#
#   PATH="$(dirname "$(bash .ci/rclone.sh)"):$PATH"   # the image's rclone first
#
# Environment: PARTSYNC_TOOLS_CACHE (default ~/.cache/partsync-tools).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
version=$(sed -n 's/^ARG RCLONE_VERSION=//p' "$repo/Dockerfile")
if [ -z "$version" ]; then
	echo "rclone.sh: no ARG RCLONE_VERSION in $repo/Dockerfile" >&2
	exit 1
fi
dir=${PARTSYNC_TOOLS_CACHE:-$HOME/.cache/partsync-tools}/rclone-$version
if [ ! -x "$dir/rclone" ]; then
	echo "rclone.sh: building rclone $version from the Go module proxy into $dir" >&2
	tmp=$(mktemp -d "${dir%/*}/.rclone-build.XXXXXX" 2>/dev/null || { mkdir -p "${dir%/*}" && mktemp -d "${dir%/*}/.rclone-build.XXXXXX"; })
	trap 'rm -rf "$tmp"' EXIT
	(cd "$tmp" && env -u GOFLAGS CGO_ENABLED=0 GOBIN="$tmp/bin" go install -trimpath \
		-ldflags "-s -w -X github.com/rclone/rclone/fs.Version=$version" "github.com/rclone/rclone@$version" >&2)
	"$tmp/bin/rclone" version >/dev/null
	rm -rf "$dir"
	mv "$tmp/bin" "$dir"
fi
echo "$dir/rclone"

#!/usr/bin/env bash
# End-to-end suite of partsync: builds kube-apiserver, Argo's
# workflow-controller, KWOK, the test node agent and partsync (etcd is
# Debian's etcd-server, unpacked), then runs the Go tests in e2e/tests inside
# a private network namespace (root needed).
#
#   e2e/run.sh                       # everything
#   e2e/run.sh -run 'TestE2E/Rsync'  # extra arguments go to `go test`
#
# Environment:
#   PARTSYNC_E2E_CACHE  binaries and run directories (default ~/.cache/partsync-e2e);
#                       Go's own build and module caches are used as usual
#   PARTSYNC_E2E_KEEP=1 keep the run directory (logs) even when the suite passes
#   PARTSYNC_E2E_GCFLAGS  -gcflags for every build, vet and test below (e.g.
#                       'all=-N -l': no optimisation, less compile CPU, slower
#                       binaries); one value for all keeps the build cache shared
set -euo pipefail

e2e_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$e2e_dir")
cache=${PARTSYNC_E2E_CACHE:-$HOME/.cache/partsync-e2e}
bin=$cache/bin
k8s_version=v1.33.1

log() { printf 'run.sh: %s\n' "$*" >&2; }

if [ "$(id -u)" != 0 ]; then
	log "needs root (private network and mount namespaces)"
	exit 1
fi

# System tools: the transfer tools the pods run, unshare (util-linux) and
# ip (iproute2) for the network namespace.
missing=()
for pair in rsync:rsync rclone:rclone unshare:util-linux ip:iproute2; do
	command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
	log "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

mkdir -p "$bin" "$cache/runs"
# Scenarios mount volumes below /srv/partsync-e2e inside private mount
# namespaces only; /srv itself must exist (it does on Debian).
mkdir -p /srv
# Keep the last five run directories (kept runs are failed ones or asked for).
find "$cache/runs" -mindepth 1 -maxdepth 1 -type d -printf '%T@ %p\n' | sort -rn | tail -n +6 | cut -d' ' -f2- |
	while IFS= read -r old; do rm -rf -- "$old" || log "could not remove $old"; done

export GOFLAGS="${GOFLAGS:-} -buildvcs=false"
gcf=()
if [ -n "${PARTSYNC_E2E_GCFLAGS:-}" ]; then gcf=("-gcflags=$PARTSYNC_E2E_GCFLAGS"); fi
start=$(date +%s)
lap_start=$start
# lap WHAT: log how long WHAT took since the previous lap.
lap() { local now; now=$(date +%s); log "$1: $((now - lap_start)) s"; lap_start=$now; }
log "building the stack (module cache and build cache are reused when present)"
cd "$e2e_dir"
go mod download
lap "module download"
# etcd: Debian's etcd-server, unpacked into the cache (apt-get download and
# dpkg -x: nothing installed, no service started). Building etcd cost about
# a minute and a half of CPU of a cold build.
# etcd.deb names the package the binary came from (a cache from before holds
# a built etcd 3.5 and no etcd.deb: replaced).
if [ ! -x "$bin/etcd" ] || [ ! -f "$bin/etcd.deb" ]; then
	log "unpacking Debian's etcd-server"
	debs=$cache/debs
	rm -rf "$debs" && mkdir -p "$debs"
	(cd "$debs" && { apt-get download etcd-server >/dev/null 2>&1 || { apt-get update -qq && apt-get download etcd-server >/dev/null; }; })
	dpkg -x "$debs"/etcd-server_*.deb "$debs/root"
	cp -f "$debs/root/usr/bin/etcd" "$bin/etcd"
	(cd "$debs" && ls etcd-server_*.deb) >"$bin/etcd.deb"
	rm -rf "$debs"
fi
# One go build for all the upstream commands, so they share the two cores.
# No kube-scheduler: the harness binds pods itself (internal/harness/binder.go).
# The version stamp is what kubectl and clients parse; -s -w: no debug
# info, a faster link.
ldflags="-s -w -X k8s.io/component-base/version.gitVersion=$k8s_version -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=33"
go build "${gcf[@]}" -ldflags "$ldflags" -o "$bin/" \
	k8s.io/kubernetes/cmd/kube-apiserver \
	github.com/argoproj/argo-workflows/v3/cmd/workflow-controller \
	sigs.k8s.io/kwok/cmd/kwok
rm -f "$bin/kube-scheduler"
go build "${gcf[@]}" -o "$bin/node-agent" ./cmd/node-agent
lap "etcd, upstream commands and node agent"
mkdir -p "$bin/image"
(cd "$repo" && go build "${gcf[@]}" -o "$bin/image/partsync" ./cmd/partsync)
lap "partsync"
# The image's rclone: the version the Dockerfile pins, built once into
# ~/.cache/partsync-tools by .ci/rclone.sh (shared with the unit tests),
# copied next to partsync so that the pods find it first on PATH, as in
# the image (Debian's /usr/bin/rclone comes after). Copied, not linked:
# the cache below /root is not every user's to traverse.
rclone_bin=$(bash "$repo/.ci/rclone.sh")
cmp -s "$rclone_bin" "$bin/image/rclone" || cp -f "$rclone_bin" "$bin/image/rclone"
log "pods' rclone: $("$bin/image/rclone" version | head -n 1)"
lap "rclone"
# The real helm, at the version the chart's test module pins (its go.mod's
# tool directive), for the chart scenario: helm install into the stack.
(cd "$repo/charts/partsync/test" && GOFLAGS="$GOFLAGS -mod=mod" go build "${gcf[@]}" \
	-ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=v3.18.0" -o "$bin/helm" helm.sh/helm/v3/cmd/helm)
lap "helm"
go vet "${gcf[@]}" ./...
lap "go vet"
go test "${gcf[@]}" -c -o "$cache/e2e.test" ./tests
lap "test binary"
crd_dir=$(go list -m -f '{{.Dir}}' github.com/argoproj/argo-workflows/v3)/manifests/base/crds/full
log "build done in $(($(date +%s) - start)) s"

export PARTSYNC_E2E_BIN=$bin PARTSYNC_E2E_CACHE=$cache PARTSYNC_E2E_CRD_DIR=$crd_dir
# Inside the namespace there is no network: nothing may be downloaded.
export GOPROXY=off GOFLAGS="$GOFLAGS -mod=readonly"
# Only loopback exists in the namespace; Argo's controller can listen on
# :6060 on every interface without reaching anything. -vet=off: `go vet ./...`
# above ran every analyzer on these packages; go test's own vet subset would
# type-check all their dependencies once more (vet computes facts for every
# imported package, and a different flag set is a different cache key).
exec unshare --net -- bash -c 'ip link set lo up && exec "$@"' e2e-netns \
	go test "${gcf[@]}" ./... -count=1 -v -timeout 20m -vet=off "$@"

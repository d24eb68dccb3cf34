# syntax=docker/dockerfile:1
#
# The partsync image: partsync, rsync and rclone, at pinned versions. It runs as
# the non-root user partsync (uid 65532) by default. To preserve owners and
# groups, rsync must run as root: `docker run --user 0:0 …`, or in Kubernetes
# `partsync template --run-as-root` / the chart's workflowTemplate.runAsRoot=true
# (root with the capabilities CHOWN, DAC_OVERRIDE, FOWNER, FSETID).
#
#   docker build -t ghcr.io/partsync/partsync:v0.1.0 .
#
# Versions: PARTSYNC_VERSION must be the version const of cmd/partsync/main.go
# (a test checks it, and that the chart and templates/ name this image).

ARG GO_VERSION=1.26.8
ARG DEBIAN_RELEASE=bookworm
ARG PARTSYNC_VERSION=0.1.0
ARG RCLONE_VERSION=v1.76.0
# rsync comes from Debian (bookworm-security): the oldest version the image
# accepts. Debian's archive keeps only the newest update, so an exact pin would
# break the build at the next security update; the floor fails it only if an
# older rsync (without the fixes of this one) were installed.
ARG RSYNC_MIN_VERSION=3.5.0+ds1-0+deb12u1

# ---- build: a static partsync, and rclone from its Go module (the Go checksum
# database verifies the pinned version's source). The stage runs on the build
# machine's platform and cross-compiles for the target's (BuildKit's
# TARGETOS/TARGETARCH), so that one build makes linux/amd64 and linux/arm64
# (OKE Ampere) images at native speed:
#   docker buildx build --platform linux/amd64,linux/arm64 -t … .
# Without BuildKit both are empty and the binaries are the build machine's.
FROM --platform=$BUILDPLATFORM golang:${GO_VERSION}-${DEBIAN_RELEASE} AS build
ARG TARGETOS
ARG TARGETARCH
WORKDIR /src
ENV GOFLAGS=-mod=readonly GOTOOLCHAIN=local
COPY go.mod go.sum ./
RUN go mod download
COPY cmd ./cmd
COPY generator ./generator
RUN CGO_ENABLED=0 GOOS=${TARGETOS} GOARCH=${TARGETARCH} go build -trimpath -ldflags="-s -w" -o /out/partsync ./cmd/partsync
# A cross-compiled binary cannot run here: run it when it is the build machine's.
RUN [ "${TARGETARCH:-native}" != native ] && [ "${TARGETARCH}" != "$(go env GOHOSTARCH)" ] || /out/partsync --version
ARG RCLONE_VERSION
# go install puts a cross-compiled binary in $GOPATH/bin/GOOS_GOARCH/ (GOBIN is
# refused then): find takes it from either place.
RUN CGO_ENABLED=0 GOOS=${TARGETOS} GOARCH=${TARGETARCH} go install -trimpath -ldflags="-s -w -X github.com/rclone/rclone/fs.Version=${RCLONE_VERSION}" github.com/rclone/rclone@${RCLONE_VERSION} \
 && find "$(go env GOPATH)/bin" -type f -name rclone -exec mv {} /out/rclone \; \
 && { [ "${TARGETARCH:-native}" != native ] && [ "${TARGETARCH}" != "$(go env GOHOSTARCH)" ] || /out/rclone version; }

# ---- runtime: Debian slim with rsync from Debian, no older than RSYNC_MIN_VERSION.
FROM debian:${DEBIAN_RELEASE}-slim
ARG PARTSYNC_VERSION
ARG RCLONE_VERSION
ARG RSYNC_MIN_VERSION
RUN apt-get update \
 && apt-get install -y --no-install-recommends rsync ca-certificates tzdata \
 && rsync_version=$(dpkg-query -W -f='${Version}' rsync) \
 && if dpkg --compare-versions "$rsync_version" lt "$RSYNC_MIN_VERSION"; then echo "rsync $rsync_version is older than RSYNC_MIN_VERSION=$RSYNC_MIN_VERSION: update the base image" >&2; exit 1; fi \
 && echo "rsync $rsync_version (at least $RSYNC_MIN_VERSION)" \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/* \
 && groupadd --gid 65532 partsync \
 && useradd --uid 65532 --gid 65532 --no-create-home --home-dir /var/tmp/partsync --shell /usr/sbin/nologin partsync \
 && install -d -o 65532 -g 65532 -m 0700 /var/tmp/partsync
COPY --from=build /out/partsync /out/rclone /usr/local/bin/
# The pods mount an emptyDir here and set HOME and TMPDIR to it: the root file
# system stays read-only.
ENV HOME=/var/tmp/partsync TMPDIR=/var/tmp/partsync
USER 65532:65532
WORKDIR /var/tmp/partsync
ENTRYPOINT ["partsync"]
CMD ["--help"]
LABEL org.opencontainers.image.title="partsync" \
      org.opencontainers.image.description="Parallel partitioned copies of huge file trees with rsync or rclone, on Argo Workflows or locally" \
      org.opencontainers.image.source="https://github.com/partsync/partsync" \
      org.opencontainers.image.version="${PARTSYNC_VERSION}" \
      io.partsync.rsync.min-version="${RSYNC_MIN_VERSION}" \
      io.partsync.rclone.version="${RCLONE_VERSION}"

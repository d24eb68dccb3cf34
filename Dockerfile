# syntax=docker/dockerfile:1
#
# The partsync image: partsync, rsync and rclone, at pinned versions. It runs as
# the non-root user partsync (uid 65532) by default. To preserve owners and
# groups, rsync must run as root: `docker run --user 0:0 …`, or in Kubernetes
# `partsync template --run-as-root` / the chart's workflowTemplate.runAsRoot=true
# (root with the capabilities CHOWN, DAC_OVERRIDE, DAC_READ_SEARCH, FOWNER, FSETID).
#
#   docker build -t ghcr.io/partsync/partsync:v0.1.0 .
#
# Versions: PARTSYNC_VERSION must be the version const of cmd/partsync/main.go
# (a test checks it, and that the chart and templates/ name this image).

ARG GO_VERSION=1.26.8
ARG DEBIAN_RELEASE=bookworm
ARG PARTSYNC_VERSION=0.1.0
ARG RCLONE_VERSION=v1.76.0
ARG RSYNC_VERSION=3.5.0+ds1-0+deb12u1

# ---- build: a static partsync, and rclone from its Go module (the Go checksum
# database verifies the pinned version's source).
FROM golang:${GO_VERSION}-${DEBIAN_RELEASE} AS build
WORKDIR /src
ENV GOFLAGS=-mod=readonly GOTOOLCHAIN=local
COPY go.mod go.sum ./
RUN go mod download
COPY cmd ./cmd
COPY generator ./generator
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/partsync ./cmd/partsync
RUN /out/partsync --version
ARG RCLONE_VERSION
RUN CGO_ENABLED=0 GOBIN=/out go install -trimpath -ldflags="-s -w -X github.com/rclone/rclone/fs.Version=${RCLONE_VERSION}" github.com/rclone/rclone@${RCLONE_VERSION} \
 && /out/rclone version

# ---- runtime: Debian slim with rsync from Debian, at a pinned version.
FROM debian:${DEBIAN_RELEASE}-slim
ARG PARTSYNC_VERSION
ARG RCLONE_VERSION
ARG RSYNC_VERSION
RUN apt-get update \
 && apt-get install -y --no-install-recommends "rsync=${RSYNC_VERSION}" ca-certificates tzdata \
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
      io.partsync.rsync.version="${RSYNC_VERSION}" \
      io.partsync.rclone.version="${RCLONE_VERSION}"

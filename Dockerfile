# syntax=docker/dockerfile:1
# volplace: one static binary on distroless, running as non-root.
#
#   docker build -t ghcr.io/volplace/volplace:v0.1.0 .
#   docker buildx build --platform linux/amd64,linux/arm64 -t ghcr.io/volplace/volplace:v0.1.0 --push .
#   docker build --target volplace-scheduler -t ghcr.io/volplace/volplace-scheduler:v0.1.0 .
#
# VERSION is what `volplace serve --version` reports.

FROM --platform=$BUILDPLATFORM golang:1.26 AS build
ARG TARGETOS=linux
ARG TARGETARCH
ARG VERSION=v0.0.0-dev
WORKDIR /src
# Dependencies first, so that source changes reuse this layer.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=${TARGETOS} GOARCH=${TARGETARCH} \
    go build -trimpath \
      -ldflags "-s -w -X k8s.io/component-base/version.gitVersion=${VERSION}" \
      -o /out/volplace ./cmd/volplace

# volplace-scheduler (docker build --target volplace-scheduler): kube-scheduler
# with volplace's rules as a framework plugin, from the nested module
# cmd/volplace-scheduler, which pins k8s.io/kubernetes and builds the plugin
# from this source tree.
FROM build AS build-scheduler
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    cd cmd/volplace-scheduler && \
    CGO_ENABLED=0 GOOS=${TARGETOS} GOARCH=${TARGETARCH} \
    go build -trimpath \
      -ldflags "-s -w -X k8s.io/component-base/version.gitVersion=${VERSION}" \
      -o /out/volplace-scheduler .

FROM gcr.io/distroless/static-debian12:nonroot AS volplace-scheduler
LABEL org.opencontainers.image.source="https://github.com/volplace/volplace" \
      org.opencontainers.image.description="kube-scheduler with volplace's storage-aware rules as a framework plugin"
COPY --from=build-scheduler /out/volplace-scheduler /volplace-scheduler
USER 65532:65532
ENTRYPOINT ["/volplace-scheduler"]

# The default target, last: volplace.
FROM gcr.io/distroless/static-debian12:nonroot
LABEL org.opencontainers.image.source="https://github.com/volplace/volplace" \
      org.opencontainers.image.description="Storage-aware kube-scheduler extender and admission webhook"
COPY --from=build /out/volplace /volplace
USER 65532:65532
ENTRYPOINT ["/volplace"]

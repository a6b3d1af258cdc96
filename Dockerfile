# syntax=docker/dockerfile:1
# volplace: one static binary on distroless, running as non-root.
#
#   docker build -t ghcr.io/volplace/volplace:v0.1.0 .
#   docker buildx build --platform linux/amd64,linux/arm64 -t ghcr.io/volplace/volplace:v0.1.0 --push .
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

FROM gcr.io/distroless/static-debian12:nonroot
LABEL org.opencontainers.image.source="https://github.com/volplace/volplace" \
      org.opencontainers.image.description="Storage-aware kube-scheduler extender and admission webhook"
COPY --from=build /out/volplace /volplace
USER 65532:65532
ENTRYPOINT ["/volplace"]

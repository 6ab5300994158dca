#!/usr/bin/env bash
# Copyright The k1s Authors.
# SPDX-License-Identifier: Apache-2.0
#
# Regenerates the Go code of the cloud plugin wire contract
# (plugins/cloud/internal/proto/*.pb.go) from cloud.proto.
#
# No system protoc: buf compiles the .proto itself, and buf, protoc-gen-go and
# protoc-gen-go-grpc are built by version from the Go module proxy into a temp
# GOBIN. protoc-gen-go is taken at the google.golang.org/protobuf version that
# go.mod pins, so the generated code matches the runtime it is linked with.
#
# Usage: hack/update-proto.sh [OUTPUT_DIR]
#   OUTPUT_DIR defaults to plugins/cloud/internal/proto; hack/verify-proto.sh
#   passes a temp dir. Run from anywhere inside the repo.
#   K1S_PROTO_TOOLS=DIR reuses (and caches) the built tools in DIR.

set -euo pipefail

BUF_VERSION=v1.75.0
PROTOC_GEN_GO_GRPC_VERSION=v1.6.2

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${REPO_ROOT}"

PROTO_DIR="plugins/cloud/internal/proto"
OUTPUT_DIR="${1:-${PROTO_DIR}}"

PROTOBUF_VERSION="$(go list -m -f '{{.Version}}' google.golang.org/protobuf)"

# buf.gen.yaml writes next to the .proto; generating in a scratch copy of the
# module lets verify-proto.sh compare without touching the tree.
WORK_DIR="$(mktemp -d)"
CLEANUP=("${WORK_DIR}")
if [[ -n "${K1S_PROTO_TOOLS:-}" ]]; then
  TOOLS_DIR="${K1S_PROTO_TOOLS}"
  mkdir -p "${TOOLS_DIR}"
else
  TOOLS_DIR="$(mktemp -d)"
  CLEANUP+=("${TOOLS_DIR}")
fi
trap 'rm -rf "${CLEANUP[@]}"' EXIT

# install_tool NAME PKG@VERSION: skips the build when TOOLS_DIR already has
# that exact version (a stamp file records it).
install_tool() {
  local name="$1" spec="$2"
  local stamp="${TOOLS_DIR}/.${name}.version"
  if [[ -x "${TOOLS_DIR}/${name}" && -f "${stamp}" && "$(cat "${stamp}")" == "${spec}" ]]; then
    return
  fi
  # Outside the main module so the tool's own go.mod decides its dependencies.
  (cd "${TOOLS_DIR}" && GOBIN="${TOOLS_DIR}" GOFLAGS=-buildvcs=false go install "${spec}")
  echo "${spec}" >"${stamp}"
}

install_tool protoc-gen-go "google.golang.org/protobuf/cmd/protoc-gen-go@${PROTOBUF_VERSION}"
install_tool protoc-gen-go-grpc "google.golang.org/grpc/cmd/protoc-gen-go-grpc@${PROTOC_GEN_GO_GRPC_VERSION}"
install_tool buf "github.com/bufbuild/buf/cmd/buf@${BUF_VERSION}"

mkdir -p "${OUTPUT_DIR}"
OUTPUT_ABS="$(cd "${OUTPUT_DIR}" && pwd)"

cp "${PROTO_DIR}"/*.proto "${PROTO_DIR}/buf.yaml" "${PROTO_DIR}/buf.gen.yaml" "${WORK_DIR}/"

(cd "${WORK_DIR}" && PATH="${TOOLS_DIR}:${PATH}" buf lint && PATH="${TOOLS_DIR}:${PATH}" buf generate)

cp "${WORK_DIR}"/*.pb.go "${OUTPUT_ABS}/"
# Generated code is already gofmt-clean; this keeps `make lint` honest if a
# generator release ever changes that.
gofmt -w "${OUTPUT_ABS}"/*.pb.go
echo "generated $(cd "${OUTPUT_ABS}" && ls ./*.pb.go | tr '\n' ' ')in ${OUTPUT_DIR}"

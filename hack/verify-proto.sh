#!/usr/bin/env bash
# Copyright The k1s Authors.
# SPDX-License-Identifier: Apache-2.0
#
# Fails if plugins/cloud/internal/proto/*.pb.go is out of date with respect to
# cloud.proto (regenerates into a temp dir with hack/update-proto.sh).

set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${REPO_ROOT}"

TMP_DIR="$(mktemp -d)"
trap 'rm -rf "${TMP_DIR}"' EXIT

hack/update-proto.sh "${TMP_DIR}"

rc=0
for f in "${TMP_DIR}"/*.pb.go; do
  name="$(basename "${f}")"
  if ! diff -u "plugins/cloud/internal/proto/${name}" "${f}"; then
    echo "ERROR: plugins/cloud/internal/proto/${name} is out of date." >&2
    rc=1
  fi
done
if [[ ${rc} -ne 0 ]]; then
  echo "Run hack/update-proto.sh (make generate) and commit the result." >&2
  exit 1
fi
echo "plugins/cloud/internal/proto is up to date."

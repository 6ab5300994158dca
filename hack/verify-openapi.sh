#!/usr/bin/env bash
# Copyright The k1s Authors.
# SPDX-License-Identifier: Apache-2.0
#
# Fails if apiserver/openapi/zz_generated.openapi.go (or the API rule violation
# report) is out of date with respect to hack/update-openapi.sh.

set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${REPO_ROOT}"

TMP_DIR="$(mktemp -d)"
trap 'rm -rf "${TMP_DIR}"' EXIT

hack/update-openapi.sh "${TMP_DIR}"

rc=0
for f in zz_generated.openapi.go violation_exceptions.list; do
  if ! diff -u "apiserver/openapi/${f}" "${TMP_DIR}/${f}"; then
    echo "ERROR: apiserver/openapi/${f} is out of date." >&2
    rc=1
  fi
done
if [[ ${rc} -ne 0 ]]; then
  echo "Run hack/update-openapi.sh (make generate) and commit the result." >&2
  exit 1
fi
echo "apiserver/openapi is up to date."

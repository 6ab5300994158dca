#!/usr/bin/env bash
# Copyright The k1s Authors.
# SPDX-License-Identifier: Apache-2.0
#
# Regenerates apiserver/openapi/zz_generated.openapi.go (and the API rule
# violation report next to it) with openapi-gen from k8s.io/kube-openapi, at
# the version pinned in go.mod (`tool` directive, run via `go tool`).
#
# Usage: hack/update-openapi.sh [OUTPUT_DIR]
#   OUTPUT_DIR defaults to apiserver/openapi; hack/verify-openapi.sh passes a
#   temp dir. Must be run from anywhere inside the repo.

set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${REPO_ROOT}"

OUTPUT_DIR="${1:-apiserver/openapi}"
OUTPUT_PKG="github.com/k1s-dev/k1s/apiserver/openapi"
OUTPUT_FILE="zz_generated.openapi.go"
# API rule violations (names_match, list_type_missing, ...) in upstream types.
# Committed so that verify-openapi.sh notices when the set changes; we cannot
# fix them (they are in k8s.io/api), so they are informational only.
REPORT_FILE="violation_exceptions.list"

# Input packages. Every type referenced from a generated definition must itself
# have a definition, otherwise the apiserver's OpenAPI builder fails at startup
# ("cannot find model definition for ..."); the unit test enforces the closure.
INPUT_PKGS=(
  k8s.io/api/core/v1
  k8s.io/api/coordination/v1
  k8s.io/api/discovery/v1
  k8s.io/api/events/v1
  k8s.io/api/apps/v1
  k8s.io/api/batch/v1
  k8s.io/api/policy/v1
  k8s.io/api/autoscaling/v1
  k8s.io/api/rbac/v1
  k8s.io/api/authentication/v1
  k8s.io/api/authorization/v1
  k8s.io/api/certificates/v1
  k8s.io/api/networking/v1
  # Not served by k1s, but batch/v1 JobSpec.schedulingConfiguration references
  # scheduling/v1alpha3 Workload* types.
  k8s.io/api/scheduling/v1alpha3
  k8s.io/apimachinery/pkg/apis/meta/v1
  k8s.io/apimachinery/pkg/runtime
  k8s.io/apimachinery/pkg/util/intstr
  k8s.io/apimachinery/pkg/api/resource
  k8s.io/apimachinery/pkg/version
)

mkdir -p "${OUTPUT_DIR}"
rm -f "${OUTPUT_DIR}/${OUTPUT_FILE}"

# No --output-model-name-file: k8s.io/api and k8s.io/apimachinery already ship
# their zz_generated.model_name.go files (read-only in the module cache), and
# openapi-gen picks up their +k8s:openapi-model-package tags on its own.
go tool openapi-gen \
  --go-header-file hack/boilerplate.go.txt \
  --output-dir "${OUTPUT_DIR}" \
  --output-pkg "${OUTPUT_PKG}" \
  --output-file "${OUTPUT_FILE}" \
  --report-filename "${OUTPUT_DIR}/${REPORT_FILE}" \
  "${INPUT_PKGS[@]}"

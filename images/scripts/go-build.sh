#!/usr/bin/env bash
# Build main packages of a module@version from the Go module proxy inside a
# throw-away wrapper module, so the module's own replace directives (which
# make `go install pkg@version` refuse) do not matter.
# usage: go-build.sh <module> <version> <out dir> <package>[=<binary name>] ...
set -euo pipefail
module=$1; version=$2; out=$3; shift 3
work=$(mktemp -d "${TMPDIR:-/tmp}/gobuild.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"
cd "$work"
go mod init harness.local/wrapper >/dev/null 2>&1
printf 'package main\n\nimport (\n' > tools.go
for spec in "$@"; do printf '\t_ "%s"\n' "${spec%%=*}" >> tools.go; done
printf ')\n\nfunc main() {}\n' >> tools.go
# GO_EXTRA_REQUIRES: more module@version pins the build needs (e.g. a
# sibling module the target's go.mod only reaches through a replace).
GOFLAGS=-mod=mod go get "$module@$version" ${GO_EXTRA_REQUIRES:-} >/dev/null 2>&1 || GOFLAGS=-mod=mod go get "$module@$version" ${GO_EXTRA_REQUIRES:-}
GOFLAGS=-mod=mod go mod tidy >/dev/null 2>&1 || GOFLAGS=-mod=mod go mod tidy
for spec in "$@"; do
  pkg=${spec%%=*}; name=${spec#*=}
  [ "$name" != "$spec" ] || name=$(basename "$pkg")
  echo "[go] $pkg@$version -> $out/$name"
  CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -ldflags "-s -w ${GO_LDFLAGS:-}" -o "$out/$name" "$pkg"
done

#!/usr/bin/env bash
# Build the Kubernetes binaries of one release from the Go module proxy.
# k8s.io/kubernetes cannot be `go install`ed (its go.mod points the staging
# modules at ./staging), so we build it from a small wrapper module that
# pins every staging module to its published k8s.io/<name> v0.<minor>.<patch>.
# usage: build-k8s.sh <version e.g. v1.34.12> <out dir> [binaries...]
set -euo pipefail
version=$1; out=$2; shift 2
bins=("$@")
[ ${#bins[@]} -gt 0 ] || bins=(kubeadm kubelet kubectl kube-apiserver kube-controller-manager kube-scheduler kube-proxy)
minor_patch=${version#v1.}            # 34.12
staging_version=v0.${minor_patch}     # v0.34.12
work=$(mktemp -d "${TMPDIR:-/tmp}/k8sbuild.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"

proxy=${GOPROXY:-https://proxy.golang.org}; proxy=${proxy%%,*}
curl -fsSL "$proxy/k8s.io/kubernetes/@v/$version.mod" -o "$work/upstream.mod"
commit=$(curl -fsSL "$proxy/k8s.io/kubernetes/@v/$version.info" | python3 -c 'import json,sys; d=json.load(sys.stdin); print((d.get("Origin") or {}).get("Hash","") or "unknown"); ' )
build_date=$(curl -fsSL "$proxy/k8s.io/kubernetes/@v/$version.info" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Time"])')

{
  echo "module harness.local/k8sbuild"
  echo
  grep -E '^go ' "$work/upstream.mod"
  echo
  echo "require k8s.io/kubernetes $version"
  echo
  echo "replace ("
  sed -nE 's#^\s*(k8s\.io/[a-z0-9-]+) => \./staging/src/.*#\t\1 => \1 '"$staging_version"'#p' "$work/upstream.mod"
  echo ")"
} > "$work/go.mod"
printf 'package main\n\nimport (\n' > "$work/tools.go"
for b in "${bins[@]}"; do printf '\t_ "k8s.io/kubernetes/cmd/%s"\n' "$b" >> "$work/tools.go"; done
printf ')\n\nfunc main() {}\n' >> "$work/tools.go"

cd "$work"
echo "[k8s] resolving modules for $version (staging $staging_version)"
GOFLAGS=-mod=mod go mod tidy >/dev/null 2>&1 || GOFLAGS=-mod=mod go mod tidy
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=$version -X $pkg.gitMajor=1 -X $pkg.gitMinor=${minor_patch%%.*}"
  ldflags+=" -X $pkg.gitCommit=$commit -X $pkg.gitTreeState=clean -X $pkg.buildDate=$build_date"
done
pkgs=(); for b in "${bins[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$b"); done
echo "[k8s] go build ${bins[*]} (this is the long step; Go's build cache makes reruns fast)"
start=$(date +%s)
CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$out/" "${pkgs[@]}"
echo "[k8s] built in $(( $(date +%s) - start ))s: $(cd "$out" && ls | tr '\n' ' ')"
"$out/kubeadm" version -o short

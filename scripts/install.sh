#!/usr/bin/env bash
# Installs nestbox on a Linux VM (run as root, from the repository): the few Debian/Ubuntu packages
# the labs use, the npm dependencies, the build, and the `nestbox` and `nestbox-oci` (the OCI runtime,
# for podman --runtime) commands in /usr/local/bin; then
# checks the machine with `nestbox doctor`.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then echo "install.sh: run it as root (sudo ./scripts/install.sh)" >&2; exit 1; fi

missing=()
command -v node >/dev/null 2>&1 || missing+=(nodejs npm)
command -v ip >/dev/null 2>&1 || missing+=(iproute2)
command -v iptables >/dev/null 2>&1 || missing+=(iptables)
[ -x /bin/busybox ] || missing+=(busybox-static)
# The lessons' commands use ping, ps and sysctl; a minimal VM image may lack them.
command -v ping >/dev/null 2>&1 || missing+=(iputils-ping)
command -v ps >/dev/null 2>&1 || missing+=(procps)
command -v nsenter >/dev/null 2>&1 || missing+=(util-linux)
command -v perl >/dev/null 2>&1 || missing+=(perl-base)
# `nestbox run --init`: a statically linked tini (Docker's docker-init is the same program).
[ -x /usr/bin/tini-static ] || [ -x /usr/sbin/docker-init ] || [ -x /usr/libexec/docker/docker-init ] || missing+=(tini)
if [ ${#missing[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null 2>&1; then
    echo "installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "install.sh: please install ${missing[*]} with your package manager" >&2; exit 1
  fi
fi

major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 18 ]; then echo "install.sh: nestbox needs Node.js 18 or later (found $(node -v))" >&2; exit 1; fi

npm ci --no-audit --no-fund --loglevel=error
npm run build --silent
ln -sf "$PWD/bin/run.js" /usr/local/bin/nestbox
ln -sf "$PWD/bin/nestbox-oci" /usr/local/bin/nestbox-oci
echo "nestbox installed: $(command -v nestbox)"
echo
# What this machine can do; a failed check is reported, not fatal to the install.
nestbox doctor || true

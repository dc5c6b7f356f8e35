#!/usr/bin/env bash
# Runs the README's commands, `npm ci && npm test`, on a fresh machine: a clean Debian bookworm root
# (debootstrap's minbase, what the debian:bookworm-slim image holds) with this machine's Node and npm
# where the official node images put them (/usr/local), nothing else, and a git clone of a commit of
# this repository, inside a chroot. A machine that already has what the tests need cannot show that
# `npm test` installs it; this one starts without openssl and redis-server.
#
#   bash scripts/fresh-machine-check.sh [--user] [REF]
#
# REF is the commit to clone (default HEAD; only committed work is cloned). As root in the chroot by
# default; --user runs as a user without sudo, where `npm test` cannot install and must say the one
# command to run. Needs root on a Linux machine, debootstrap (installed with apt-get when missing) and
# Debian's package mirror. The pristine root is built once in $FRESH_ROOT/base (default
# /var/tmp/commbox-sso-bridge-fresh-root; FRESH_REBUILD=1 builds it again) and copied for each run, so
# every run starts from the same fresh machine. It takes many minutes (the whole suite, in a chroot),
# which is why .ci/run does not run it. The log is in $FRESH_ROOT/logs/.
set -euo pipefail

as_user=false
if [[ ${1:-} == --user ]]; then
  as_user=true
  shift
fi
ref=${1:-HEAD}
repo=$(cd "$(dirname "$0")/.." && pwd)
fresh=${FRESH_ROOT:-/var/tmp/commbox-sso-bridge-fresh-root}
base=$fresh/base
run=$fresh/run
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

[[ $(id -u) -eq 0 ]] || { echo "fresh-machine-check: run it as root (it builds a root with debootstrap and mounts into it)" >&2; exit 2; }
sha=$(git -C "$repo" rev-parse --verify "$ref^{commit}")
[[ $sha != "$(git -C "$repo" rev-parse HEAD)" || -z $(git -C "$repo" status --porcelain --untracked-files=no) ]] ||
  echo "fresh-machine-check: the work tree has uncommitted changes; the clone has only what is committed" >&2

node_bin=$(command -v node)
npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
[[ -f $npm_dir/package.json ]] || { echo "fresh-machine-check: npm's own folder not found (from $(command -v npm))" >&2; exit 2; }

mkdir -p "$fresh"
exec 9>"$fresh/lock"
flock -n 9 || { echo "fresh-machine-check: another check is running in $fresh" >&2; exit 2; }

# The pristine root: Debian, Node and npm, and what every installed system or container has (/etc/hosts).
if [[ ${FRESH_REBUILD:-} == 1 || ! -x $base/usr/local/bin/node ]]; then
  command -v debootstrap >/dev/null || {
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
  }
  rm -rf "$base" "$base.tmp"
  echo "fresh-machine-check: debootstrap bookworm (minbase) into $base"
  debootstrap --variant=minbase bookworm "$base.tmp" "$mirror" >"$fresh/debootstrap.log" 2>&1 ||
    { tail -n 20 "$fresh/debootstrap.log" >&2; exit 2; }
  install -m 755 "$node_bin" "$base.tmp/usr/local/bin/node"
  mkdir -p "$base.tmp/usr/local/lib/node_modules"
  cp -a "$npm_dir" "$base.tmp/usr/local/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$base.tmp/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$base.tmp/usr/local/bin/npx"
  # A machine or a container has these; debootstrap writes none.
  printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' >"$base.tmp/etc/hosts"
  # No init system runs in a chroot: a service that a package's install script starts would outlive
  # the check (and keep its mounts busy). Containers of Debian's images are set up the same way.
  printf '#!/bin/sh\nexit 101\n' >"$base.tmp/usr/sbin/policy-rc.d"
  chmod 755 "$base.tmp/usr/sbin/policy-rc.d"
  mv "$base.tmp" "$base"
fi

mounted=()
teardown() {
  # Processes still running inside the root (a server a test left), each by its id.
  local pid
  for pid in $(ls /proc | grep -E '^[0-9]+$'); do
    [[ $(readlink "/proc/$pid/root" 2>/dev/null) == "$run" ]] && kill -9 "$pid" 2>/dev/null || true
  done
  local i
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
    umount "${mounted[i]}" 2>/dev/null || umount -l "${mounted[i]}" || true
  done
  mounted=()
}
trap teardown EXIT
trap 'exit 130' INT TERM

mount_in() { # <mount args...> <target>
  mount "$@"
  # Where the host's mounts are shared (systemd's default), a bind of /dev would join its peer group, and
  # what is mounted under it here (/dev/pts, /dev/shm) would appear on the host: receive, never send.
  mount --make-rslave "${*: -1}"
  mounted+=("${*: -1}")
}

# A run killed with SIGKILL (a cancelled CI job, the OOM killer) leaves its bind mounts behind, and
# `rm -rf` crosses mount points: it would delete the host's /dev and /sys through them. Unmount what is
# left under the root first (deepest first), and never let rm leave the root's own filesystem.
mounts_under() { # <dir>: the mount points at or under it, deepest first (compared as text, not as a pattern)
  findmnt -R -n -o TARGET --list 2>/dev/null | awk -v r="$1" '$0 == r || index($0, r "/") == 1' | sort -r
}
if [[ -d $run ]]; then
  for target in $(mounts_under "$run"); do umount "$target" 2>/dev/null || umount -l "$target"; done
  if [[ -n $(mounts_under "$run") ]]; then
    echo "fresh-machine-check: $run still has mounts (findmnt -R | grep $run): unmount them, then run again" >&2
    exit 2
  fi
  rm -rf --one-file-system "$run"
fi
cp -a "$base" "$run"
cp /etc/resolv.conf "$run/etc/resolv.conf"
mount_in -t proc proc "$run/proc"
mount_in --bind /sys "$run/sys"
mount_in --bind /dev "$run/dev"
mount_in --bind /dev/pts "$run/dev/pts"
mount_in -t tmpfs -o mode=1777 tmpfs "$run/dev/shm"

# Node in the root reaches the npm registry as this machine's does: where this machine's network needs
# Node to trust an extra CA (NODE_EXTRA_CA_CERTS), the root's Node is given the same file.
extra_ca=()
if [[ -n ${NODE_EXTRA_CA_CERTS:-} && -f $NODE_EXTRA_CA_CERTS ]]; then
  install -D -m 644 "$NODE_EXTRA_CA_CERTS" "$run/usr/local/share/fresh-machine-check/extra-ca.pem"
  extra_ca=(NODE_EXTRA_CA_CERTS=/usr/local/share/fresh-machine-check/extra-ca.pem)
fi

if $as_user; then
  chroot "$run" useradd --create-home --shell /bin/bash dev
  home=/home/dev
  userspec=(--userspec=dev:dev)
else
  home=/root
  userspec=()
fi
clone=$home/commbox-sso-bridge
git clone --quiet --no-checkout "$repo" "$run$clone"
git -C "$run$clone" checkout --quiet --detach "$sha"
$as_user && chroot "$run" chown -R dev:dev "$clone"

mkdir -p "$fresh/logs"
log=$fresh/logs/$(date +%Y%m%d-%H%M%S)-${sha:0:10}-$($as_user && echo user || echo root).log
who=$($as_user && echo "a user without sudo" || echo root)
echo "fresh-machine-check: npm ci && npm test at ${sha:0:10} as $who in a fresh Debian bookworm root (log: $log)"
set +e
nice -n 10 chroot "${userspec[@]}" "$run" /usr/bin/env -i HOME="$home" \
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "${extra_ca[@]}" \
  /bin/bash -c "cd '$clone' && node --version && npm ci --no-audit --no-fund && npm test" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
echo "fresh-machine-check: npm ci && npm test as $who exited $status"
exit "$status"

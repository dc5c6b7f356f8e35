# commbox-sso-bridge: multi-stage build.
#   docker build -t commbox-sso-bridge .                      (the runtime image, the default target)
#   docker build --target demo -t commbox-sso-bridge-demo .   (adds the demo IdP and CommBox sandbox)
# The base is selectable: --build-arg NODE_IMAGE=node:24-bookworm-slim
# The image's labels (org.opencontainers.image.*) take what a release build knows:
#   --build-arg REVISION=$(git rev-parse HEAD) --build-arg CREATED=$(date -u +%Y-%m-%dT%H:%M:%SZ)
#   --build-arg VERSION=<package.json's version>     (a different one fails the build)
#   --build-arg SOURCE_URL=<the repository's URL> --build-arg VENDOR=<who builds and ships it>
ARG NODE_IMAGE=node:24-bookworm-slim
# package.json's version (test/deploy.test.ts keeps it so; the build stage refuses another).
ARG VERSION=0.2.0

FROM ${NODE_IMAGE} AS build
ARG VERSION
WORKDIR /app
COPY package.json package-lock.json ./
# The version on the label is the version in the code, or the build stops here.
RUN v=$(node -p "require('./package.json').version") && [ "$VERSION" = "$v" ] \
  || { echo "VERSION=$VERSION but package.json says $v: build with --build-arg VERSION=$v" >&2; exit 1; }
# No install scripts: the build runs below, once the sources are in.
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
COPY dev ./dev
# One bundled file: the runtime image then needs no node_modules (a smaller image,
# a faster start).
RUN npm run build && npm run bundle
# The SBOM of what the bundle is made of: the production dependencies, from the
# lockfile and the cache the npm ci above filled (offline).
RUN node scripts/sbom.mjs /app/sbom.cdx.json

# What the bridge runs: one bundled file and Node; no node_modules, no sources,
# no package manager state, no secrets.
FROM ${NODE_IMAGE} AS base
ENV NODE_ENV=production
# /metrics on the container's interfaces, for a scraper outside it (the bridge's
# own default is loopback); publish or expose port 9464 only to the scraper.
ENV METRICS_HOST=0.0.0.0
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/dist/commbox-sso-bridge.mjs /app/dist/commbox-sso-bridge.mjs.map /app/dist/commbox-sso-bridge.mjs.LEGAL.txt \
  /app/dist/commbox-sso-bridge.mjs.LICENSES.txt ./dist/
# The licence, and the bill of materials of the bundle (CycloneDX JSON).
COPY LICENSE ./
COPY --from=build /app/sbom.cdx.json ./
# The labels last: a new revision or date leaves the layers above cached.
ARG VERSION
ARG REVISION=unknown
# RFC 3339; unset, the epoch: a build that does not say when it was made.
ARG CREATED=1970-01-01T00:00:00Z
# A placeholder (.invalid never resolves) until the build says where the source is.
ARG SOURCE_URL=https://commbox-sso-bridge.invalid/source
ARG VENDOR="commbox-sso-bridge contributors"
LABEL org.opencontainers.image.title="commbox-sso-bridge" \
      org.opencontainers.image.description="Signs employees into CommBox with the company's OpenID Connect IdP and a CommBox one-time login ticket" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="${SOURCE_URL}" \
      org.opencontainers.image.url="${SOURCE_URL}" \
      org.opencontainers.image.documentation="${SOURCE_URL}#documentation" \
      org.opencontainers.image.vendor="${VENDOR}"
# Node runs as PID 1 and handles SIGTERM itself (graceful drain); it starts no
# child processes, so no init is needed.
USER node
EXPOSE 3000 9464
STOPSIGNAL SIGTERM
# No curl or wget in the image: Node's own fetch checks liveness.
HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "--enable-source-maps", "dist/commbox-sso-bridge.mjs"]

# Development only: the demo IdP and the CommBox sandbox (docker-compose.yml).
FROM base AS demo
LABEL org.opencontainers.image.title="commbox-sso-bridge-demo" \
      org.opencontainers.image.description="Development only: the demo IdP and CommBox sandbox of commbox-sso-bridge"
COPY --from=build /app/dist/demo-services.mjs /app/dist/demo-services.mjs.map ./dist/
HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.DEMO_IDP_PORT||process.env.DEMO_SANDBOX_PORT||4000)+(process.env.DEMO_IDP_PORT?'/.well-known/openid-configuration':'/login')).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/demo-services.mjs", "idp"]

# The default target: the bridge.
FROM base AS runtime

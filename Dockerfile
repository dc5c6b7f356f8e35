# commbox-sso-bridge: multi-stage build.
#   docker build -t commbox-sso-bridge .                      (the runtime image, the default target)
#   docker build --target demo -t commbox-sso-bridge-demo .   (adds the demo IdP and CommBox sandbox)
# The base is selectable: --build-arg NODE_IMAGE=node:24-bookworm-slim
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# No install scripts: the build runs below, once the sources are in.
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
COPY dev ./dev
# One bundled file: the runtime image then needs no node_modules (a smaller image,
# a faster start).
RUN npm run build && npm run bundle

# What the bridge runs: one bundled file and Node; no node_modules, no sources,
# no package manager state, no secrets.
FROM ${NODE_IMAGE} AS base
ENV NODE_ENV=production
# /metrics on the container's interfaces, for a scraper outside it (the bridge's
# own default is loopback); publish or expose port 9464 only to the scraper.
ENV METRICS_HOST=0.0.0.0
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/dist/commbox-sso-bridge.mjs /app/dist/commbox-sso-bridge.mjs.map /app/dist/commbox-sso-bridge.mjs.LEGAL.txt ./dist/
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
COPY --from=build /app/dist/demo-services.mjs /app/dist/demo-services.mjs.map ./dist/
HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.DEMO_IDP_PORT||process.env.DEMO_SANDBOX_PORT||4000)+(process.env.DEMO_IDP_PORT?'/.well-known/openid-configuration':'/login')).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/demo-services.mjs", "idp"]

# The default target: the bridge.
FROM base AS runtime

# syntax=docker/dockerfile:1
# The oidc-bridge image: dependencies installed from the lockfile, TypeScript compiled to
# dist/, and a runtime stage on node:24-bookworm-slim holding production dependencies and
# the compiled code only, run as the unprivileged `node` user.

ARG NODE_IMAGE=node:24-bookworm-slim

# Every dependency, dev ones included: the compiler is one of them.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

FROM deps AS build
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY migrations ./migrations
RUN npm run build

# Production dependencies alone, on the same base as the runtime so that the native
# modules (argon2, bcrypt) are the builds for its libc.
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    OIDC_BRIDGE_DIST=1
WORKDIR /app
# Owned by root and read-only to the process: the code cannot be changed by the bridge.
COPY --from=prod-deps /app/node_modules ./node_modules
COPY package.json ./
COPY bin ./bin
COPY views ./views
COPY --from=build /app/dist ./dist
# src/ui/render.ts finds the templates two directories above itself, which from the
# compiled dist/src/ui/ is dist/views.
COPY views ./dist/views
# The embedded store's directory (data_dir ./data), for runs without `database`.
RUN mkdir -p /app/data && chown node:node /app/data
USER node
# 3000: the login port; 9464: the admin listener (console, /metrics), for admin.host 0.0.0.0.
EXPOSE 3000 9464
# Liveness only; readiness (store and legacy database) is /readyz, for load balancers.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:3000/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "bin/oidc-bridge.js"]
CMD ["start"]

# syntax=docker/dockerfile:1
#
# One image for every role: `docker run IMAGE gateway|worker|all` (default: all).
# Build: docker build -t kafka-chat .

# ---- build: install everything, compile, then drop the dev dependencies ----
FROM node:20-bookworm-slim AS build
WORKDIR /app

# The lock file decides the exact tree; copy it alone first so this layer is
# cached until a dependency changes. `npm install`, not `npm ci`: the lock
# file leaves out other platforms' optional native bindings (jest's resolver),
# and `npm ci` refuses such a lock as out of sync (see .ci/run).
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm install --no-audit --no-fund

COPY . .
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

# ---- runtime: compiled code and production dependencies only ----
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app

# Owned by root and only readable by the `node` user the process runs as, so
# the running service cannot rewrite its own code or dependencies.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist

USER node
EXPOSE 4000

ENTRYPOINT ["node", "dist/src/main.js"]
CMD ["all"]

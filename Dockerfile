# chatq: one image for both services. Node runs the TypeScript sources directly (type stripping),
# so there is no build step: the first stage only installs production dependencies.
#   docker build -t chatq .
#   docker run chatq                                         # the API (port 8080)
#   docker run chatq node services/worker/src/main.ts        # a worker (probes and metrics on 8081)

FROM node:24-alpine AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY libs/contracts/package.json libs/contracts/
COPY libs/platform/package.json libs/platform/
COPY libs/chat-core/package.json libs/chat-core/
COPY services/api/package.json services/api/
COPY services/worker/package.json services/worker/
# --ignore-scripts: no install script may fetch binaries; optional native speedups fall back to JS.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

FROM node:24-alpine
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    WORKER_PORT=8081
WORKDIR /app
# Root owns the files and the process runs as `node`: the app cannot rewrite its own code.
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY libs ./libs
COPY services ./services
COPY infra/migrations ./infra/migrations
COPY infra/sql ./infra/sql
USER node
EXPOSE 8080 8081
# Node forwards SIGTERM to our drain logic only when it is PID 1's direct program: exec form.
CMD ["node", "services/api/src/main.ts"]

# redis-mcp-server: MCP over Streamable HTTP (/mcp) and WebSocket (/ws), the REST twin (/v1),
# /docs, /health and /metrics on port 8920. Point it at Redis with REDIS_URL.
#
#   docker build -t redis-mcp-server .
#   docker run --rm -p 8920:8920 -e REDIS_URL=redis://redis.example:6379 redis-mcp-server

# Build stage: dev dependencies and the TypeScript compiler stay here.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json openapi.yaml ./
COPY schema ./schema
COPY generated ./generated
COPY src ./src
COPY scripts/bundle-cli.mjs ./scripts/
RUN npm run build

# Runtime stage: production dependencies, the compiled code and the OpenAPI document only.
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    MCP_EMBEDDED_REDIS=never
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY openapi.yaml ./
# The official image's unprivileged user.
USER node
EXPOSE 8920
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8920/health').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# 0.0.0.0 so the published port reaches it. A non-loopback bind refuses to start without a token:
# run with -e MCP_AUTH_TOKEN=... (or -e MCP_ALLOW_UNAUTHENTICATED=true on a network you trust).
CMD ["node", "dist/src/cli.js", "--transport", "http", "--host", "0.0.0.0", "--port", "8920"]

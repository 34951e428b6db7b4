# syntax=docker/dockerfile:1
# Multi-stage image for the hub and the edge agent. Both run the TypeScript sources through tsx,
# so the build stage only installs dependencies (native modules compile here, not at run time).

FROM node:20-bookworm-slim AS deps
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ \
    && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json .npmrc ./
COPY protocol/package.json protocol/
COPY hub/package.json hub/
COPY edge-agent/package.json edge-agent/
COPY firmware-config/package.json firmware-config/
COPY dashboards/package.json dashboards/
COPY test/package.json test/
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim AS runtime
# ffmpeg decodes camera streams and video files; tini reaps ffmpeg children and forwards signals.
RUN apt-get update && apt-get install -y --no-install-recommends ffmpeg tini ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system khoa && useradd --system --gid khoa --home-dir /var/lib/khoa --create-home khoa
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY . .
ENV NODE_ENV=production KHOA_DATA_DIR=/var/lib/khoa
USER khoa
ENTRYPOINT ["/usr/bin/tini", "--"]

FROM runtime AS hub
EXPOSE 1883 8883 8080
HEALTHCHECK --interval=15s --timeout=5s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.KHOA_HTTP_PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "hub/bin/khoa.js", "hub"]

FROM runtime AS agent
CMD ["node", "edge-agent/bin/khoa-agent.js", "--config", "/etc/khoa/agent.json"]

# syntax=docker/dockerfile:1
# Webhook receiver: `npm start` runs receiver and worker; compose runs them as separate services
# against Redis. Alone, the image keeps events in its embedded store under the /app/data volume.

# Stage 1: production dependencies only (tsx runs the TypeScript sources; no build step).
FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

# Stage 2: the runtime image, without npm's cache or dev tooling.
FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY src ./src
# Without REDIS_URL or DATABASE_URL, events are stored in the embedded store in DATA_DIR: mount a
# volume there so they survive the container. The unprivileged user owns only this directory.
ENV DATA_DIR=/app/data
RUN mkdir -p /app/data && chown node:node /app/data
VOLUME ["/app/data"]
USER node
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
STOPSIGNAL SIGTERM
CMD ["npm", "start"]

# freeswitch-webhook-router. Stages: build (compile), test (the compose integration tests),
# runtime (the router and the example webhook; production dependencies only, non-root).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY test ./test
COPY bench ./bench
COPY examples ./examples
COPY scripts ./scripts
RUN npx tsc -p tsconfig.json

FROM build AS test
USER node
CMD ["node", "--test", "--test-reporter=spec", "dist/test/compose/freeswitch.compose.js"]

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist/src ./dist/src
COPY --from=build /app/dist/examples ./dist/examples
USER node
EXPOSE 8084 9464 8080
HEALTHCHECK --interval=10s --timeout=3s CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.HTTP_PORT || 9464) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "dist/src/cli/main.js"]
CMD ["serve"]

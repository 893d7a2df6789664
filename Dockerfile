# syntax=docker/dockerfile:1
# Build stage: install everything and compile TypeScript.
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# The PostgreSQL driver carries a fix of ours (patches/), applied by npm's postinstall.
COPY patches ./patches
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
COPY migrations ./migrations
COPY locales ./locales
COPY questionnaires ./questionnaires
RUN npm run build

# Runtime stage: production dependencies and compiled code only, as an unprivileged user.
FROM node:20-slim
ENV NODE_ENV=production DATA_DIR=/data
WORKDIR /app
COPY package.json package-lock.json ./
COPY patches ./patches
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
# The build puts migrations, locales, questionnaires and word lists inside dist/.
COPY --from=build /app/dist ./dist
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8080
CMD ["node", "dist/src/main.js"]

# One image for the sandbox, the demo set-up and the worker (docker-compose.yml picks the command).
# Node 20, as pinned in package.json's engines.
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm install --no-save --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
# TypeScript 7 (native) under its npm alias; `typescript` itself is 6.0.3, for ESLint only.
RUN node node_modules/typescript-native/bin/tsc -p tsconfig.json
ENV NODE_ENV=production LOG_FORMAT=json
CMD ["node", "lib/src/worker.js"]

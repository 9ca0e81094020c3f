# syntax=docker/dockerfile:1
# The Mooring controller image: `docker build -t mooring .`
#
# Never built: the machine this was written on has no Docker engine, so this file is unchecked as a
# whole. Its parts were: the TypeScript build runs `node dist/cli/main.js install|controller|version`
# from a tsconfig.build.json output, and the `go install` lines are those scripts/build-tools runs on
# this machine (with Go 1.26). Build it once before relying on it.

# kustomize and helm, built from source at the versions pinned in scripts/versions.env (the same
# commands and ldflags as scripts/build-tools), so the image renders exactly as the tests do.
FROM golang:1.26-bookworm AS tools
ENV GOTOOLCHAIN=local CGO_ENABLED=0 GOBIN=/out
COPY scripts/versions.env /versions.env
RUN . /versions.env \
 && go install -trimpath \
      -ldflags "-s -w -X sigs.k8s.io/kustomize/api/provenance.version=v${KUSTOMIZE_VERSION}" \
      "sigs.k8s.io/kustomize/kustomize/v5@v${KUSTOMIZE_VERSION}" \
 && minor=$(echo "$KUBERNETES_VERSION" | cut -d. -f2) \
 && go install -trimpath \
      -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=v${HELM_VERSION} -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=${minor} -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=${minor}" \
      "helm.sh/helm/v3/cmd/helm@v${HELM_VERSION}" \
 && /out/kustomize version && /out/helm version --short

# dist/ from the TypeScript sources, then only the runtime dependencies.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY ui ./ui
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
# git (and ssh for git@ URLs) is what Mooring fetches repositories with.
RUN apt-get update \
 && apt-get install -y --no-install-recommends git openssh-client ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=tools /out/kustomize /out/helm /usr/local/bin/
# A numeric non-root user, so Kubernetes' runAsNonRoot can check it (deploy/install.yaml runs as 10001).
RUN groupadd --gid 10001 mooring \
 && useradd --uid 10001 --gid 10001 --home-dir /home/mooring --create-home --shell /usr/sbin/nologin mooring
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
ENV NODE_ENV=production HOME=/home/mooring
USER 10001:10001
EXPOSE 8080
ENTRYPOINT ["node", "dist/cli/main.js"]
CMD ["server"]

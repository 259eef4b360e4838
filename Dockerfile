# syntax=docker/dockerfile:1
# runstatus-exporter: built with the official Swift image, run on Debian slim as a non-root user.
#   docker build -t runstatus-exporter .
#   docker run --rm -p 7979:7979 runstatus-exporter --demo
#   docker run --rm -p 7979:7979 -v "$PWD/config.json:/etc/runstatus-exporter/config.json:ro" runstatus-exporter
#   HTTPS: mount a web config with tls_server_config and its certificate and key (see the README's TLS section).
# Build and run stages use the same Debian release, so the libcurl the binary was linked against is the one it finds.
ARG SWIFT_VERSION=6.3.1
ARG DEBIAN_RELEASE=bookworm

FROM swift:${SWIFT_VERSION}-${DEBIAN_RELEASE} AS build
# Headers of the system libraries the exporter links: zlib (gzip scrapes), libcrypt (bcrypt for basic auth),
# OpenSSL (TLS on the listener). The run-time halves of the first two, zlib1g and libcrypt1, are part of every
# Debian base image; OpenSSL's, libssl3, is installed in the run stage.
RUN apt-get update \
 && apt-get install -y --no-install-recommends zlib1g-dev libcrypt-dev libssl-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Manifest and sources only (.dockerignore keeps .build out). Tests/ too: SwiftPM wants the directory of every
# target Package.swift declares, though only the executable is built.
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
# --static-swift-stdlib links the Swift runtime and Foundation in, so the run stage needs no toolchain;
# the vendor fetcher links the system libcurl dynamically (libcurl4-openssl-dev is in the Swift image).
RUN swift build -c release --static-swift-stdlib --product runstatus-exporter \
 && install -D -m 0755 "$(swift build -c release --show-bin-path)/runstatus-exporter" /out/runstatus-exporter \
 && strip /out/runstatus-exporter

FROM debian:${DEBIAN_RELEASE}-slim
# ca-certificates: the vendors' HTTPS APIs; tzdata: zone-less vendor times (RSA) read in a configured zone;
# libcurl4 (and what it pulls in), libssl3 (the TLS listener) and libstdc++6: the binary's dynamic libraries
# besides glibc.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates tzdata libcurl4 libssl3 libstdc++6 \
 && rm -rf /var/lib/apt/lists/*
RUN useradd --system --user-group --uid 10001 --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin runstatus
COPY --from=build /out/runstatus-exporter /usr/local/bin/runstatus-exporter
USER 10001:10001
EXPOSE 7979
# Asks the local /-/healthy on the default :7979. Started with another --web.listen-address, override this with
# `--health-cmd 'runstatus-exporter healthcheck --web.listen-address=:PORT'`. With basic auth on
# (--web.config.file) the probe needs no password: the listener's 401 challenge counts as alive. With TLS on
# (tls_server_config in that file), give the probe the same file so it speaks TLS:
# `--health-cmd 'runstatus-exporter healthcheck --web.config.file=/etc/runstatus-exporter/web.json'`.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["/usr/local/bin/runstatus-exporter", "healthcheck"]
# Flags go after the image name (`docker run IMAGE --demo`); the default below expects a mounted config.
ENTRYPOINT ["/usr/local/bin/runstatus-exporter"]
CMD ["--config.file=/etc/runstatus-exporter/config.json"]

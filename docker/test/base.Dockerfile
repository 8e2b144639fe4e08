# Stand-ins for the official base images (python, node, postgres) that cannot be pulled on
# the project's machines, built from the Debian base that make-base-images.sh imports. Each
# stage gives what docker/Dockerfile and docker-compose.yml rely on from the official one.

# python:3.11-slim-bookworm: `python` and `pip` on the PATH (Debian's 3.11, in a venv).
FROM localhost/dext-debian:bookworm AS python
RUN apt-get update -qq \
    && DEBIAN_FRONTEND=noninteractive DEBCONF_NOWARNINGS=yes apt-get install -y -qq --no-install-recommends \
        python3 python3-venv >/dev/null \
    && rm -rf /var/lib/apt/lists/* \
    && python3 -m venv /opt/python
# pip's own certificates would not include what the host trusts (copied into the base).
ENV PATH=/opt/python/bin:$PATH \
    PIP_CERT=/etc/ssl/certs/ca-certificates.crt

# node:20-bookworm-slim: `npm` (Debian's Node.js 18 is enough to unpack sao).
FROM localhost/dext-debian:bookworm AS node
RUN apt-get update -qq \
    && DEBIAN_FRONTEND=noninteractive DEBCONF_NOWARNINGS=yes apt-get install -y -qq --no-install-recommends \
        nodejs npm >/dev/null \
    && rm -rf /var/lib/apt/lists/*
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt

# postgres:15-bookworm: POSTGRES_USER, POSTGRES_PASSWORD and POSTGRES_DB make the cluster on
# the first start, in /var/lib/postgresql/data; pg_isready on the PATH.
FROM localhost/dext-debian:bookworm AS postgres
RUN apt-get update -qq \
    && DEBIAN_FRONTEND=noninteractive DEBCONF_NOWARNINGS=yes apt-get install -y -qq --no-install-recommends \
        postgresql-15 >/dev/null \
    && rm -rf /var/lib/apt/lists/*
COPY postgres-entrypoint.sh /usr/local/bin/postgres-entrypoint
ENV PATH=/usr/lib/postgresql/15/bin:$PATH \
    PGDATA=/var/lib/postgresql/data
EXPOSE 5432
ENTRYPOINT ["/usr/local/bin/postgres-entrypoint"]

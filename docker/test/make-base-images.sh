#!/usr/bin/env bash
# Makes, once, the base images that docker/test/compose.podman.yml builds the project's image
# from, on a machine that cannot pull the official ones but reaches Debian's archive:
#   localhost/dext-debian:bookworm   Debian 12 made with debootstrap, imported into Podman
#   localhost/dext-python:3.11       stand-ins for python:3.11-slim-bookworm,
#   localhost/dext-node:bookworm     node:20-bookworm-slim
#   localhost/dext-postgres:15       and postgres:15-bookworm (docker/test/base.Dockerfile)
# Run as root, with Podman, debootstrap and runc installed. Podman keeps the images: a second
# run only checks them (the builds are cached layer by layer).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export CONTAINERS_CONF=${CONTAINERS_CONF:-$here/containers.conf}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
base=localhost/dext-debian:bookworm

if ! podman image exists "$base"; then
    root=$(mktemp -d)
    trap 'rm -rf "$root"' EXIT
    echo "Making the Debian base image with debootstrap (about a minute)"
    if ! debootstrap --variant=minbase --include=ca-certificates bookworm "$root" "$mirror" \
            >"$root.log" 2>&1; then
        tail -20 "$root.log" >&2
        exit 1
    fi
    rm -f "$root.log"
    # The containers reach the archives through whatever the host trusts (a proxy's own
    # certificate authority, for example).
    if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
        cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
        chroot "$root" update-ca-certificates >/dev/null
    fi
    rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin
    tar -C "$root" -c . | podman import --quiet --change 'CMD ["/bin/bash"]' - "$base" >/dev/null
fi

for stage in python:3.11 node:bookworm postgres:15; do
    echo "Building localhost/dext-$stage"
    # On the host's network: a build's own network adds addresses to the host's, which
    # breaks the requests in flight of a browser beside it.
    podman build --quiet --network host --target "${stage%%:*}" --tag "localhost/dext-$stage" \
        --file "$here/base.Dockerfile" "$here" >/dev/null
done

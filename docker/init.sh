#!/bin/sh
# The compose service "init", run once before the others: creates the Tryton database on the
# first run (PostgreSQL's POSTGRES_DB makes it empty), or updates it, with dext_kashflow
# activated. With DEXT_DEMO_DATA=1, adds the demo company and its data once.
# An update takes a minute, so it is skipped when the database was last updated by this very
# image (same packages, same module: the image's build-fingerprint, recorded beside the
# attachments) and still has dext_kashflow activated; DEXT_INIT_FORCE=1 updates anyway.
# Environment: TRYTOND_DATABASE__URI, TRYTOND_DATABASE__PATH, DEXT_DATABASE (default tryton),
# TRYTON_ADMIN_PASSWORD, TRYTON_ADMIN_EMAIL, DEXT_DEMO_DATA, TRYTON_USER_PASSWORD (the demo's
# plain user), DEXT_HOME (where the project's demo/ folder is; the image's /opt/dext-kashflow).
set -eu
db=${DEXT_DATABASE:-tryton}
home=${DEXT_HOME:-/opt/dext-kashflow}
fingerprint=$(cat "$home/build-fingerprint" 2>/dev/null || true)
stamp="${TRYTOND_DATABASE__PATH:-/var/lib/trytond/db}/.dext-init-$db"

activated() {
    python - "$db" <<'PY'
import os, sys
import psycopg
try:
    with psycopg.connect(os.environ["TRYTOND_DATABASE__URI"].rstrip("/") + "/" + sys.argv[1],
                         connect_timeout=10) as connection:
        row = connection.execute("SELECT state FROM ir_module WHERE name = 'dext_kashflow'"
                                 ).fetchone()
except psycopg.Error:
    sys.exit(1)
sys.exit(0 if row and row[0] == "activated" else 1)
PY
}

if [ -n "$fingerprint" ] && [ "${DEXT_INIT_FORCE:-0}" != 1 ] \
        && [ "$(cat "$stamp" 2>/dev/null || true)" = "$fingerprint" ] && activated; then
    echo "The database '$db' is up to date with this image: nothing to do" \
        "(DEXT_INIT_FORCE=1 updates it anyway)"
    exit 0
fi

secrets=$(mktemp -d)
trap 'rm -rf "$secrets"' EXIT
printf '%s\n' "${TRYTON_ADMIN_PASSWORD:?set TRYTON_ADMIN_PASSWORD}" > "$secrets/admin"

echo "Creating or updating the database '$db' with dext_kashflow"
TRYTONPASSFILE="$secrets/admin" trytond-admin -d "$db" --all -u dext_kashflow \
    --activate-dependencies ${TRYTON_ADMIN_EMAIL:+--email "$TRYTON_ADMIN_EMAIL"}

if [ "${DEXT_DEMO_DATA:-0}" = 1 ]; then
    python - "$secrets/logins.json" <<'PY'
import json, os, sys
logins = {"admin": os.environ["TRYTON_ADMIN_PASSWORD"],
          "user": os.environ.get("TRYTON_USER_PASSWORD") or os.environ["TRYTON_ADMIN_PASSWORD"]}
with open(sys.argv[1], "w") as out:
    json.dump(logins, out)
PY
    python "$home/demo/create_demo.py" --database "$db" \
        --logins "$secrets/logins.json"
fi
[ -z "$fingerprint" ] || printf '%s\n' "$fingerprint" > "$stamp"
echo "The database '$db' is ready"

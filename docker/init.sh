#!/bin/sh
# The compose service "init", run once before the others: creates the Tryton database on the
# first run (PostgreSQL's POSTGRES_DB makes it empty), or updates it, with dext_kashflow
# activated. With DEXT_DEMO_DATA=1, adds the demo company and its data once.
# Environment: TRYTOND_DATABASE__URI, DEXT_DATABASE (default tryton), TRYTON_ADMIN_PASSWORD,
# TRYTON_ADMIN_EMAIL, DEXT_DEMO_DATA, TRYTON_USER_PASSWORD (the demo's plain user),
# DEXT_HOME (where the project's demo/ folder is; the image's /opt/dext-kashflow).
set -eu
db=${DEXT_DATABASE:-tryton}
home=${DEXT_HOME:-/opt/dext-kashflow}
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
echo "The database '$db' is ready"

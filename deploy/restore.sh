#!/bin/sh
# Restore a backup made by deploy/backup.sh into an EMPTY database and media folder.
#   DATABASE_URL=postgres://…/empty_db MEDIA_ROOT=/app/media deploy/restore.sh db-….dump media-….tar.gz
# Then start the product on that database (migrations are already applied in the dump).
set -eu
: "${DATABASE_URL:?set DATABASE_URL}" "${MEDIA_ROOT:?set MEDIA_ROOT}"
[ $# -eq 2 ] || { echo "usage: $0 DB_DUMP MEDIA_TAR" >&2; exit 2; }
pg_restore --no-owner --no-privileges --exit-on-error --dbname "$DATABASE_URL" "$1"
mkdir -p "$MEDIA_ROOT"
tar -C "$MEDIA_ROOT" -xzf "$2"
echo "restored $1 and $2"

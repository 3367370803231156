#!/bin/sh
# A backup of the database and the private files (visit photos, evidence, exports).
#   DATABASE_URL=postgres://… MEDIA_ROOT=/app/media BACKUP_DIR=/backups deploy/backup.sh
# Writes db-<stamp>.dump (pg_dump custom format) and media-<stamp>.tar.gz, prints both paths,
# and removes backups older than BACKUP_KEEP_DAYS (default 14). docker-compose.yml runs it daily.
set -eu
: "${DATABASE_URL:?set DATABASE_URL}" "${MEDIA_ROOT:?set MEDIA_ROOT}" "${BACKUP_DIR:?set BACKUP_DIR}"
stamp=$(date +%Y%m%d-%H%M%S)
mkdir -p "$BACKUP_DIR" "$MEDIA_ROOT"
pg_dump --format=custom --no-owner --no-privileges --file "$BACKUP_DIR/db-$stamp.dump" "$DATABASE_URL"
tar -C "$MEDIA_ROOT" -czf "$BACKUP_DIR/media-$stamp.tar.gz" .
find "$BACKUP_DIR" \( -name 'db-*.dump' -o -name 'media-*.tar.gz' \) \
  -mtime +"${BACKUP_KEEP_DAYS:-14}" -delete
echo "$BACKUP_DIR/db-$stamp.dump $BACKUP_DIR/media-$stamp.tar.gz"

#!/usr/bin/env bash
# Back up the app's PostgreSQL database: one pg_dump in the custom format (compressed; read
# by pg_restore, deploy/restore.sh) to DIRECTORY/<database>-<UTC time>.dump, keeping the
# KEEP newest dumps of that database there (14 by default) and deleting older ones.
#
#   DATABASE_URL=postgres://transfers_owner@127.0.0.1:5432/transfers \
#     deploy/backup.sh /var/backups/transfers 14
#
# DATABASE_URL names the server, the role and the database, as for the app; run it as the
# tables' owner (the URL that migrate uses). Its query string, if any, must be libpq's own
# parameters (sslmode=...). The dump holds students' personal data: it is written readable
# by its owner only, and first under a .partial name, so a failed or interrupted run never
# leaves a dump that looks whole. Prints the dump's path.
set -euo pipefail

usage() {
  echo "usage: DATABASE_URL=postgres://... $0 DIRECTORY [KEEP]" >&2
  exit 2
}

if [ $# -lt 1 ] || [ $# -gt 2 ]; then usage; fi
directory=$1
keep=${2:-14}
[[ $keep =~ ^[1-9][0-9]*$ ]] || { echo "KEEP must be a whole number above 0" >&2; exit 2; }
url=${DATABASE_URL:?DATABASE_URL must name the PostgreSQL database to back up}
case $url in
  postgres://* | postgresql://*) ;;
  *) echo "DATABASE_URL is not a PostgreSQL URL (postgres://...)" >&2; exit 2 ;;
esac
authority=${url%%\?*}
authority=${authority#*://}
database=${authority##*/}
if [[ $authority != */* ]] || [ -z "$database" ]; then
  echo "DATABASE_URL names no database" >&2
  exit 2
fi

umask 077
mkdir -p "$directory"
dump="$directory/$database-$(date -u +%Y%m%dT%H%M%SZ).dump"
partial="$dump.partial"
trap 'rm -f "$partial"' EXIT

pg_dump --format=custom --dbname="$url" --file="$partial"
pg_restore --list "$partial" >/dev/null  # a dump pg_restore can read, or no dump at all
mv "$partial" "$dump"

# The names sort by time (UTC, fixed width): all but the KEEP last go.
shopt -s nullglob
dumps=("$directory/$database"-*.dump)
if [ "${#dumps[@]}" -gt "$keep" ]; then
  rm -f -- "${dumps[@]:0:${#dumps[@]}-keep}"
fi
echo "$dump"

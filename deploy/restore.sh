#!/usr/bin/env bash
# Restore a dump made by deploy/backup.sh into a NEW database; never into one that exists.
#
#   DATABASE_URL=postgres://transfers_owner@127.0.0.1:5432/transfers \
#     deploy/restore.sh [--no-owner] /var/backups/transfers/transfers-20270301T020000Z.dump \
#     transfers_restored
#
# DATABASE_URL gives the server and the role to connect as (its database name is only
# replaced by NEW_DATABASE); the role needs CREATEDB, as the tables' owner has. The new
# database is created owned by that role, and the dump restored in one transaction: all of
# it or, on any error, nothing (the new database is dropped again).
#
# What comes back: the tables, their rows, the constraints and the append-only triggers,
# and the grants to the app's role (DATABASE_APP_ROLE), which must exist on this server
# first (CREATE ROLE transfers_app LOGIN PASSWORD '...'). No `manage.py migrate` is needed.
# By default each object gets its owner of the dump back, which the connecting role may only
# do if it is that owner; --no-owner makes the connecting role the owner of everything
# instead (restoring under another owner's name, on another server). Database-level settings
# (ALTER DATABASE ... SET, CONNECT revoked from PUBLIC) are not in the dump: set them again.
set -euo pipefail

usage() {
  echo "usage: DATABASE_URL=postgres://... $0 [--no-owner] DUMP NEW_DATABASE" >&2
  exit 2
}

options=()
if [ "${1:-}" = "--no-owner" ]; then
  options+=(--no-owner)
  shift
fi
[ $# -eq 2 ] || usage
dump=$1
database=$2
[ -r "$dump" ] || { echo "cannot read $dump" >&2; exit 2; }
[[ $database =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] \
  || { echo "NEW_DATABASE must be a plain name (letters, digits, _)" >&2; exit 2; }
url=${DATABASE_URL:?DATABASE_URL must name the PostgreSQL server and role to restore as}
case $url in
  postgres://* | postgresql://*) ;;
  *) echo "DATABASE_URL is not a PostgreSQL URL (postgres://...)" >&2; exit 2 ;;
esac
path=${url%%\?*}
query=${url#"$path"}
authority=${path#*://}
[[ $authority == */* ]] && path=${path%/*}
target="$path/$database$query"

createdb --maintenance-db="$url" "$database"  # refuses a database that exists
if ! pg_restore --exit-on-error --single-transaction "${options[@]}" --dbname="$target" "$dump"
then
  echo "restore failed; dropping the new database $database" >&2
  dropdb --maintenance-db="$url" "$database" || true
  exit 1
fi
echo "restored into $database"

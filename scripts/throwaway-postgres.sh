# Sourced by scripts/test.sh and the benchmarks: `start_throwaway_postgres` starts a PostgreSQL
# cluster of its own in a temporary folder — Debian's server binaries (package postgresql-15),
# listening on a Unix socket only, no fsync (it is thrown away) — exports its admin URL as
# PREFLIGHT_TEST_POSTGRES, and removes it all when the calling script exits.
start_throwaway_postgres() {
  PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [[ -x $PG_BIN/initdb ]] || { echo "PostgreSQL's server is missing: sudo apt-get install postgresql-15" >&2; return 1; }
  PG_DIR=$(mktemp -d /tmp/preflight-pg.XXXXXX)
  # PostgreSQL refuses to run as root: as root, the cluster belongs to the `postgres` user
  # that Debian's package creates.
  if [[ $(id -u) == 0 ]]; then
    chown postgres "$PG_DIR"
    as_pg() { runuser -u postgres -- "$@"; }
  else
    as_pg() { "$@"; }
  fi
  as_pg "$PG_BIN/initdb" -D "$PG_DIR/data" -A trust -U preflight -E UTF8 --no-sync >"$PG_DIR/initdb.log"
  as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -s \
    -o "-k $PG_DIR -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400" start
  trap 'as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -s stop >/dev/null 2>&1 || true; rm -rf "$PG_DIR"' EXIT
  export PREFLIGHT_TEST_POSTGRES="postgres://preflight@localhost/postgres?host=$PG_DIR"
}

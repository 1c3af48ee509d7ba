#!/usr/bin/env bash
# deploy/local_cluster.sh REPLICAS PORT: the lecture on this machine as on several. PostgreSQL (a throw-away one in
# a temporary directory, unless BACKPROP_LENS_DB holds a URL), REPLICAS app servers on free ports, and HAProxy on
# PORT in front of them (deploy/haproxy.cfg). Each replica's number, PID and port go to deploy/.cluster/replicas.tsv;
# Ctrl-C (or SIGTERM) stops everything this script started.
set -euo pipefail
REPLICAS="${1:?usage: deploy/local_cluster.sh REPLICAS PORT}"
PORT="${2:?usage: deploy/local_cluster.sh REPLICAS PORT}"
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(dirname "$HERE")"
RUN="$HERE/.cluster"
PYTHON="${PYTHON:-python}"
rm -rf "$RUN" && mkdir -p "$RUN"
PIDS=()
PGDATA_DIR=""
AS_POSTGRES=()
if [ "$(id -u)" -eq 0 ]; then AS_POSTGRES=(runuser -u postgres --); fi

pg_bin() {  # a PostgreSQL program: on PATH, else Debian's /usr/lib/postgresql/*/bin
    command -v "$1" 2>/dev/null || ls /usr/lib/postgresql/*/bin/"$1" 2>/dev/null | sort -V | tail -1
}
free_port() { "$PYTHON" -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"; }

stop_all() {
    trap - EXIT INT TERM
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    if [ -n "$PGDATA_DIR" ]; then
        "${AS_POSTGRES[@]}" "$(pg_bin pg_ctl)" -D "$PGDATA_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
        rm -rf "$PGDATA_DIR"
    fi
    echo "cluster stopped"
    exit 0
}
trap stop_all EXIT INT TERM

if [ -z "${BACKPROP_LENS_DB:-}" ]; then
    PGDATA_DIR="$(mktemp -d /tmp/backprop-lens-cluster-pg.XXXXXX)"
    if [ "$(id -u)" -eq 0 ]; then chown postgres "$PGDATA_DIR"; fi
    PGPORT="$(free_port)"
    "${AS_POSTGRES[@]}" "$(pg_bin initdb)" -D "$PGDATA_DIR/data" -U postgres --auth=trust -E UTF8 --no-sync >"$RUN/initdb.log"
    "${AS_POSTGRES[@]}" "$(pg_bin pg_ctl)" -D "$PGDATA_DIR/data" -l "$PGDATA_DIR/log" -w \
        -o "-p $PGPORT -k $PGDATA_DIR -c listen_addresses=127.0.0.1 -c max_connections=300" start >/dev/null
    export BACKPROP_LENS_DB="postgresql://postgres@127.0.0.1:$PGPORT/postgres"
    echo "PostgreSQL on 127.0.0.1:$PGPORT (throw-away, in $PGDATA_DIR)"
fi
cd "$ROOT"
echo "$BACKPROP_LENS_DB" > "$RUN/database_url"
"$PYTHON" -c "from classroom.store import engine; engine()"  # the tables, made once before the replicas start

printf 'replica\tpid\tport\n' > "$RUN/replicas.tsv"
cp "$HERE/haproxy.cfg" "$RUN/haproxy.cfg"
for i in $(seq 1 "$REPLICAS"); do
    port="$(free_port)"
    "$PYTHON" -m streamlit run app.py --server.headless true --server.address 127.0.0.1 --server.port "$port" \
        --browser.gatherUsageStats false >"$RUN/replica$i.log" 2>&1 &
    PIDS+=("$!")
    printf '%s\t%s\t%s\n' "$i" "$!" "$port" >> "$RUN/replicas.tsv"
    printf '    server replica%s 127.0.0.1:%s cookie replica%s\n' "$i" "$port" "$i" >> "$RUN/haproxy.cfg"
done
for port in $(tail -n +2 "$RUN/replicas.tsv" | cut -f3); do
    for _ in $(seq 1 240); do
        if "$PYTHON" -c "import sys, urllib.request as u; sys.exit(u.urlopen(sys.argv[1], timeout=2).read() != b'ok')" \
            "http://127.0.0.1:$port/_stcore/health" 2>/dev/null; then break; fi
        sleep 0.5
    done
done
HAPROXY="$(command -v haproxy || echo /usr/sbin/haproxy)"
BACKPROP_LENS_BIND="0.0.0.0:$PORT" "$HAPROXY" -db -f "$RUN/haproxy.cfg" >"$RUN/haproxy.log" 2>&1 &
PIDS+=("$!")
echo "$!" > "$RUN/haproxy.pid"
echo "ready: http://127.0.0.1:$PORT/ ($REPLICAS replicas, $RUN/replicas.tsv); Ctrl-C stops everything"
wait -n "${PIDS[@]}" || true
while true; do sleep 1; done  # a replica killed on purpose (a test) leaves the rest running until Ctrl-C

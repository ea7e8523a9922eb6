#!/usr/bin/env bash
# One node on SQLite against one node on one Redis, side by side: issue 18's "batched appends"
# comparison, as docs/benchmarks.md reports it.
#
# Each round runs every setup once, in turn, each with fresh processes and a fresh data dir:
#   sqlite  the node alone, `--sqlite-sync normal` (the engine's group commit, no fsync each)
#   redis   the node and one redis-server (no persistence)
# The node runs on CPU 0, `chinwag-bench` on CPU 1 (`--pin auto`), and redis-server on
# REDIS_CPU: 0 (the default) shares the node's core, so the engines are compared on one core;
# 1 shares the load generator's, as a Redis on its own machine would not. Redis's own
# CPU per append is read from `INFO cpu` before and after the bench, over the appends stored.
#
# Usage: bench/scripts/redis_vs_sqlite.sh [ROUNDS] > results.jsonl
#   CHINWAG, BENCH: the release binaries (default target/release/{chinwag,chinwag-bench})
#   SETUPS: which setups, in order (default "sqlite redis")
#   REDIS_CPU: the CPU redis-server runs on (default 0)
# Every loop is bounded: ROUNDS rounds, each bench 10 s plus its drain, each wait 20 s at most.
set -euo pipefail

ROUNDS=${1:-3}
CHINWAG=${CHINWAG:-target/release/chinwag}
BENCH=${BENCH:-target/release/chinwag-bench}
SETUPS=${SETUPS:-sqlite redis}
REDIS_CPU=${REDIS_CPU:-0}
NODE_PORT=8391
REDIS_PORT=6391
LIFT=(--rate-per-sec 1000000 --rate-burst 1000000 --max-connections-per-ip 1000000
      --max-connections 1000000)
WORK=$(mktemp -d /tmp/redis-vs-sqlite.XXXXXX)
PIDS=()

stop_all() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    PIDS=()
}
trap 'stop_all; rm -rf "$WORK"' EXIT

wait_for() { # what, command...
    local what=$1; shift
    for _ in $(seq 200); do
        if "$@" >/dev/null 2>&1; then return 0; fi
        sleep 0.1
    done
    echo "gave up waiting for $what" >&2
    return 1
}

redis_cpu() { # seconds of CPU redis-server has used, user + system
    redis-cli -p $REDIS_PORT info cpu |
        awk -F: '/^used_cpu_(user|sys):/ { s += $2 } END { printf "%.6f", s }'
}

appends_stored() { # the sum of every room's `seq`
    local total=0 key seq
    for key in $(redis-cli -p $REDIS_PORT --scan --pattern 'chinwag:room:*'); do
        seq=$(redis-cli -p $REDIS_PORT hget "$key" seq)
        [[ $seq =~ ^[0-9]+$ ]] && total=$((total + seq))
    done
    echo $total
}

run_one() { # setup round
    local setup=$1 round=$2 dir=$WORK/$1-$2 engine=() redis_pid=
    mkdir -p "$dir"
    if [[ $setup == redis ]]; then
        taskset -c "$REDIS_CPU" redis-server --port $REDIS_PORT --bind 127.0.0.1 --save '' \
            --appendonly no --dir "$dir" >"$dir/redis.log" 2>&1 &
        redis_pid=$!; PIDS+=("$redis_pid")
        wait_for redis redis-cli -p $REDIS_PORT ping
        engine=(--redis "redis://127.0.0.1:$REDIS_PORT")
    else
        engine=(--sqlite-sync normal)
    fi
    RUST_LOG=warn taskset -c 0 "$CHINWAG" --bind 127.0.0.1:$NODE_PORT "${engine[@]}" \
        --node-id n1 --db "$dir/n.db" --static-dir "$dir/none" "${LIFT[@]}" >"$dir/node.log" 2>&1 &
    local node=$!; PIDS+=("$node")
    wait_for node curl -sf http://127.0.0.1:$NODE_PORT/readyz
    local before=0 after=0 stored=0 backing=()
    [[ -n $redis_pid ]] && { before=$(redis_cpu); backing=(--backing-pid "$redis_pid"); }
    local report
    report=$("$BENCH" --json throughput --senders 10 --window 32 --duration 10 \
        --target ws://127.0.0.1:$NODE_PORT --pid "$node" "${backing[@]}")
    local commands=""
    if [[ -n $redis_pid ]]; then
        after=$(redis_cpu); stored=$(appends_stored)
        commands=$(redis-cli -p $REDIS_PORT info commandstats | tr -d '\r' | grep '^cmdstat_' || true)
    fi
    python3 -c '
import json, sys
report = json.loads(sys.argv[1])
report["setup"], report["round"] = sys.argv[2], int(sys.argv[3])
report["redis_cpu"] = sys.argv[7]
stored = int(sys.argv[6])
if stored:
    report["redis_cpu_us_per_append"] = (float(sys.argv[5]) - float(sys.argv[4])) * 1e6 / stored
    report["appends_stored"] = stored
    # INFO commandstats: per command, its calls and microseconds (commands a script runs
    # are counted under their own names as well as inside the EVALSHA of the script).
    commands = {}
    for line in sys.argv[8].splitlines():
        name, _, fields = line.partition(":")
        values = dict(field.split("=") for field in fields.split(","))
        commands[name[len("cmdstat_"):]] = {
            "calls": int(values["calls"]),
            "us_per_append": float(values["usec"]) / stored,
        }
    report["redis_commands"] = commands
print(json.dumps(report))' "$report" "$setup" "$round" "$before" "$after" "$stored" "$REDIS_CPU" \
        "$commands"
    stop_all
}

for round in $(seq "$ROUNDS"); do
    for setup in $SETUPS; do
        run_one "$setup" "$round"
    done
done

#!/usr/bin/env bash
# demo.sh - the main job, end to end on one machine: set up and build, prepare
# a node's data directory under demo-data/, start the node (conf/issuer.conf on
# loopback), show it answering through accordctl, add and list users, stop it.
# Usage: tools/demo.sh   (re-runnable: it starts from a fresh demo-data/issuer)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="$ROOT/build"
CONF="$ROOT/conf/issuer.conf"
DATA="$ROOT/demo-data/issuer"
NODE_URL="http://127.0.0.1:8440"
say() { printf '\n== %s\n' "$*"; }

say "set-up and build (tools/setup.sh)"
"$ROOT/tools/setup.sh" "$BUILD"
NODE="$BUILD/node/accord-node"
CTL="$BUILD/tools/accordctl"

say "prepare a fresh data directory: $DATA"
rm -rf "$DATA"
mkdir -p "$ROOT/demo-data"
INIT_OUT="$("$NODE" init --config "$CONF")"
echo "$INIT_OUT" | sed '$d'
ADMIN_TOKEN="$(echo "$INIT_OUT" | tail -n 1)"
echo "(admin token captured: ${ADMIN_TOKEN:0:8}...)"

say "start accord-node --config conf/issuer.conf"
"$NODE" --config "$CONF" 2>"$ROOT/demo-data/issuer.log" &
NODE_PID=$!
trap 'kill "$NODE_PID" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
    curl -sf --http2-prior-knowledge "$NODE_URL/healthz" >/dev/null 2>&1 && break
    sleep 0.1
done
echo "node is up (pid $NODE_PID); log in demo-data/issuer.log"

export ACCORD_NODE="$NODE_URL" ACCORD_TOKEN="$ADMIN_TOKEN"
say "accordctl node info"
"$CTL" node info

say "add users"
"$CTL" user add maria --role expert --display-name "Maria Expert"
"$CTL" user add ravi --role reviewer --display-name "Ravi Reviewer"
"$CTL" user add tess --role earner --display-name "Tess Teacher"
"$CTL" user add dana --role recognizer --display-name "Dana District"

say "accordctl user list"
"$CTL" user list

say "a token for tess (an earner), and what it may do"
TESS_ID="$("$CTL" --json user list | /usr/bin/python3 -c 'import json,sys; print([u["id"] for u in json.load(sys.stdin)["items"] if u["name"]=="tess"][0])')"
TESS_TOKEN="$("$CTL" token create "$TESS_ID" --label demo)"
"$CTL" --token "$TESS_TOKEN" user show me
echo "tess tries to list users (expect a 403):"
"$CTL" --token "$TESS_TOKEN" user list || echo "(refused, exit $?)"

say "stop the node (SIGTERM: graceful)"
kill -TERM "$NODE_PID"
wait "$NODE_PID" && echo "node stopped cleanly"
trap - EXIT

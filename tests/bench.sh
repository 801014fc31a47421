#!/usr/bin/env bash
# The scale benchmark (not part of the test suite): brings up the pair,
# seeds the shapes asked for (default 11k tables) and prints the timings.
#   tests/bench.sh [1k] [10k] [11k] [50k]
#   tests/bench.sh replicas [11k]    three replicas in one run against one and three runs
set -euo pipefail
cd "$(dirname "$0")/.."
tests/servers.sh up
eval "$(tests/servers.sh env)"
command -v /usr/bin/time >/dev/null || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }
cargo bench --locked --bench scale -- "$@"

#!/usr/bin/env bash
# The whole test suite on a fresh Debian machine: installs MariaDB from
# Debian's packages when missing, brings up the project's own primary +
# replica pair (tests/servers.sh), runs the unit and integration tests, the
# same integration and consistency tests against a MariaDB 11.8 pair and a
# MySQL 9.7 pair (tests/flavors.sh: debootstrap chroots from Debian trixie
# and sid), then the package and monitoring-system tests
# (tests/consumers.sh: Icinga 2, Nagios Core, NRPE from Debian's packages).
# Tests skipped for want of a server feature are listed, and counted, at
# the end.
set -euo pipefail
cd "$(dirname "$0")/.."

mkdir -p target
export DRIFT_SKIP_LOG=$PWD/target/skipped-tests.log
: >"$DRIFT_SKIP_LOG"

skipped_summary() {
  local n
  n=$(wc -l <"$DRIFT_SKIP_LOG")
  echo "== skipped tests: $n"
  if ((n)); then sed 's/^/  skipped on /' "$DRIFT_SKIP_LOG"; fi
}
trap skipped_summary EXIT

tests/servers.sh up
eval "$(tests/servers.sh env)"
cargo build --all-targets --locked
cargo test --locked -- "$@"
tests/flavors.sh test
tests/consumers.sh

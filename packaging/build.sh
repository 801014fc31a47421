#!/usr/bin/env bash
# Builds the .deb and the .rpm into target/packages/. Installs cargo-deb and
# cargo-generate-rpm from crates.io when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

for tool in cargo-deb cargo-generate-rpm; do
  command -v "$tool" >/dev/null || cargo install --locked "$tool"
done

cargo build --release --locked
mkdir -p target/packages/man
cargo run --quiet --locked --example man > target/packages/man/check_mysql_drift.1
gzip -9nf target/packages/man/check_mysql_drift.1

cargo deb --no-build --locked --output target/packages/
cargo generate-rpm --output target/packages/
ls -l target/packages/*.deb target/packages/*.rpm

#!/usr/bin/env bash
# One command for a fresh Debian machine: install what the tests need, build,
# run every test. Exits with the status of `make test`.
set -euo pipefail

cd "$(dirname "$0")/.."

bash scripts/install-deps.sh --test
make -j2
status=0
make test || status=$?
exit "$status"

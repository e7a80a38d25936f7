#!/usr/bin/env bash
# Everything CI runs, in order; stops at the first failing stage.
# PostgreSQL: uses CONSOLE_TEST_DATABASE_URL, or starts a local one when the server is installed.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH" REFLEX_USE_NPM=1 REFLEX_TELEMETRY_ENABLED=false
export REFLEX_PERF_MODE=${REFLEX_PERF_MODE:-raise}

stage() { printf '\n=== %s ===\n' "$1"; }

stage "lint (ruff)"
ruff check .
stage "import contracts"
lint-imports

if [ -z "${CONSOLE_TEST_DATABASE_URL:-}" ] && ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  export CONSOLE_TEST_DATABASE_URL=$(scripts/pg.sh start)
fi
if [ -n "${CONSOLE_TEST_DATABASE_URL:-}" ]; then
  echo "PostgreSQL for integration tests: $CONSOLE_TEST_DATABASE_URL"
else
  echo "No PostgreSQL configured: integration tests run on SQLite only."
fi

mkdir -p test-artifacts
# Two processes: Playwright's sync API leaves an event loop running in the main thread, which
# would break tests that drive async Reflex handlers with asyncio.run.
stage "unit and integration tests"
python -m pytest tests/unit tests/integration -q -p no:cacheprovider \
  --junitxml=test-artifacts/junit-unit-integration.xml "$@"
stage "browser tests (prod build in Chromium)"
python -m pytest tests/e2e -q -p no:cacheprovider --junitxml=test-artifacts/junit-e2e.xml "$@"

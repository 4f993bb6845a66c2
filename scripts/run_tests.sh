#!/usr/bin/env bash
# Run the test suite (tests marked slow are deselected by default; pass -m slow for them).
# Usage: scripts/run_tests.sh [pytest args...]
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/bootstrap.sh
source "$REPO_ROOT/scripts/bootstrap.sh"

cd "$REPO_ROOT"
exec .venv/bin/python -m pytest -q "$@"

#!/usr/bin/env bash
# Sourced by scripts/run_tests.sh and scripts/run_demo.sh: finds Python 3.12, creates .venv in
# the repo root when missing, (re)installs the package with its test extras when the install is
# missing or pyproject.toml changed since the last install, and sets the offline/headless env.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$REPO_ROOT/.venv"
STAMP="$VENV/.lerobot_resip_install_stamp"

_is_py312() {
    # True when "$@" runs a Python 3.12 (pyenv shims may exist and still fail).
    "$@" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 12) else 1)' >/dev/null 2>&1
}

_find_python312() {
    local candidate
    if command -v python3.12 >/dev/null 2>&1 && _is_py312 python3.12; then
        command -v python3.12
        return 0
    fi
    if command -v pyenv >/dev/null 2>&1; then
        for candidate in "$(pyenv root)"/versions/3.12*/bin/python3.12; do
            if [ -x "$candidate" ] && _is_py312 "$candidate"; then
                echo "$candidate"
                return 0
            fi
        done
    fi
    for candidate in /usr/bin/python3.12 /usr/local/bin/python3.12 python3; do
        if command -v "$candidate" >/dev/null 2>&1 && _is_py312 "$candidate"; then
            command -v "$candidate"
            return 0
        fi
    done
    return 1
}

_pyproject_hash() {
    sha256sum "$REPO_ROOT/pyproject.toml" | cut -d' ' -f1
}

if [ -e "$VENV" ] && ! _is_py312 "$VENV/bin/python"; then
    echo "bootstrap: $VENV exists but is not a working Python 3.12 virtualenv; remove it and rerun" >&2
    exit 1
fi
if [ ! -e "$VENV" ]; then
    if ! PYTHON312="$(_find_python312)"; then
        echo "bootstrap: no Python 3.12 found (tried python3.12 on PATH and \$(pyenv root)/versions/3.12*); install Python 3.12 first" >&2
        exit 1
    fi
    echo "bootstrap: creating $VENV with $PYTHON312" >&2
    "$PYTHON312" -m venv "$VENV"
fi

if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$(_pyproject_hash)" ] \
    || ! "$VENV/bin/python" -c 'import importlib.util, sys; sys.exit(importlib.util.find_spec("lerobot_resip") is None)' >/dev/null 2>&1; then
    echo "bootstrap: installing lerobot_resip (pip install -e '.[test]') into $VENV" >&2
    (cd "$REPO_ROOT" && "$VENV/bin/python" -m pip install -e '.[test]')
    _pyproject_hash >"$STAMP"
fi

export HF_HUB_OFFLINE=1
export MUJOCO_GL="${MUJOCO_GL:-egl}"
export PATH="$VENV/bin:$PATH"

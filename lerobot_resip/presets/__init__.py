"""Config presets for `--config_path`, shipped with the package (the repository's `policies/` and `envs/`).

`policies/<task>_<method>.json` are `lerobot-train` configs (e.g. the diffusion base of a task);
`envs/<task>_<randomness>[_perturbed].json` are `lerobot-eval` configs (env and episode counts). A
source checkout can name the files directly; `lerobot-resip-preset NAME` prints the installed path,
so the same command works from a wheel:

    lerobot-train --config_path=$(lerobot-resip-preset peg_in_hole_diffusion_small)
    lerobot-eval --config_path=$(lerobot-resip-preset peg_in_hole_low) --policy.path=<checkpoint>
"""

from __future__ import annotations

import sys
from importlib import resources
from pathlib import Path

KINDS = ("policies", "envs")


def presets() -> dict[str, Path]:
    """Every shipped preset, name (file stem) -> path."""
    found = {}
    for kind in KINDS:
        for entry in resources.files(f"{__name__}.{kind}").iterdir():
            if entry.name.endswith(".json"):
                found[entry.name.removesuffix(".json")] = Path(str(entry))
    return dict(sorted(found.items()))


def preset_path(name: str) -> Path:
    """The path of preset `name` (with or without `.json`, or as `policies/<name>` / `envs/<name>`)."""
    stem = Path(name).name.removesuffix(".json")
    known = presets()
    if stem not in known:
        raise ValueError(f"unknown preset {name!r}; available: {', '.join(known)}")
    return known[stem]


def main() -> None:
    """`lerobot-resip-preset NAME`: print the preset's path; without NAME (or with --list): list them."""
    args = sys.argv[1:]
    if not args or args[0] in ("--list", "-l"):
        for name, path in presets().items():
            print(f"{name}\t{path}")
        return
    if args[0] in ("-h", "--help") or len(args) > 1:
        print("usage: lerobot-resip-preset [NAME | --list]  (prints the path of a shipped --config_path preset)")
        sys.exit(0 if args[0] in ("-h", "--help") else 2)
    try:
        print(preset_path(args[0]))
    except ValueError as err:
        print(f"lerobot-resip-preset: error: {err}", file=sys.stderr)
        sys.exit(1)

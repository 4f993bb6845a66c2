"""What the project's commands share: LeRobot's set-up, and turning a config error into one actionable line."""

from __future__ import annotations

import sys
from collections.abc import Callable

import draccus


class PolicyFromPath:
    """Base of a command config with a `policy` field: `--policy.path=<checkpoint>` loads that checkpoint's
    config (resip or diffusion) with the `--policy.*` flags applied over it, as `lerobot-train` does, and
    keeps the path in `policy_path`."""

    def __post_init__(self):
        from lerobot.configs import parser

        from lerobot_resip.rl.runtime import resolve_policy_config

        path = parser.get_path_arg("policy")
        if path:
            overrides = parser.get_yaml_overrides("policy") + (parser.get_cli_overrides("policy") or [])
            self.policy = resolve_policy_config(path, overrides)
            self.policy_path = path

    @classmethod
    def __get_path_fields__(cls) -> list[str]:
        """Lets the parser load the policy config with `--policy.path=dir`."""
        return ["policy"]


def error_line(err: BaseException) -> str:
    """First line of the error behind `err`: draccus wraps a config's own ValueError in ParsingErrors."""
    while err.__cause__ is not None and isinstance(err, draccus.utils.ParsingError):
        err = err.__cause__
    lines = str(err).strip().splitlines()
    return lines[0] if lines else type(err).__name__


def run_command[Config](
    prog: str,
    parse: Callable[[], Config],
    run: Callable[[Config], object],
    run_errors: tuple[type[BaseException], ...] = (ValueError,),
) -> object:
    """A command's `main`: LeRobot's logging and third-party plugins (our policy, env and robot types), then
    `parse()` and `run(config)`. A bad flag or config (any ValueError while parsing) and the `run_errors`
    the command expects while running exit with one line, `<prog>: error: <what to do>`; anything else is a
    bug and keeps its traceback."""
    from lerobot.utils.import_utils import register_third_party_plugins
    from lerobot.utils.utils import init_logging

    init_logging()
    register_third_party_plugins()
    try:
        config = parse()
    except (ValueError, draccus.utils.ParsingError, *run_errors) as err:
        _exit(prog, err)
    try:
        return run(config)
    except run_errors as err:
        _exit(prog, err)


def _exit(prog: str, err: BaseException) -> None:
    print(f"{prog}: error: {error_line(err)}", file=sys.stderr)
    sys.exit(1)

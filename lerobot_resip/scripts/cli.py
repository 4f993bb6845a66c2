"""What the project's commands share: turning a config error into one actionable line."""

import draccus


def error_line(err: BaseException) -> str:
    """First line of the error behind `err`: draccus wraps a config's own ValueError in ParsingErrors."""
    while err.__cause__ is not None and isinstance(err, draccus.utils.ParsingError):
        err = err.__cause__
    lines = str(err).strip().splitlines()
    return lines[0] if lines else type(err).__name__

"""`lerobot-resip-push`: push a trained resip checkpoint to the Hugging Face Hub, with its model card.

    lerobot-resip-push --policy.path=outputs/demo/resip/checkpoints/best/pretrained_model \\
        --policy.repo_id=<user>/peg_in_hole_resip \\
        --eval_paths='[outputs/demo/eval/resip.json, outputs/demo/eval/resip_perturbed.json]'

The card reports the given `lerobot-resip-eval` results (and the repo keeps them under `eval/`).
Without `--eval_paths` the checkpoint is first evaluated here on `--eval_episodes` held-out episodes,
without and with perturbations, in the env it was trained in (or `--env.*`). The repo then runs by
itself: `lerobot-eval --policy.path=<user>/<name> --env.type=furniture --env.task=<task>`,
`lerobot-resip-eval --policy.path=<user>/<name>`, `lerobot-resip-train --policy.path=<user>/<name>`.
"""

import dataclasses
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from lerobot.configs import PreTrainedConfig, parser
from lerobot.envs.configs import EnvConfig

from lerobot_resip.envs.configs import FurnitureEnvConfig
from lerobot_resip.hub import evaluation_row, push_resip
from lerobot_resip.policies.resip import ResipConfig
from lerobot_resip.scripts.cli import PolicyFromPath, error_line, run_command
from lerobot_resip.scripts.evaluate import checkpoint_env, evaluate_checkpoint

logger = logging.getLogger("lerobot_resip.push")
PROG = "lerobot-resip-push"


@dataclass
class PushConfig(PolicyFromPath):
    # --policy.path=<resip checkpoint directory> --policy.repo_id=<user>/<name>
    # [--policy.private=true] [--policy.license=...] [--policy.tags='[a, b]'].
    policy: PreTrainedConfig | None = None
    # `lerobot-resip-eval` JSON files whose results the model card reports; empty: evaluate here.
    eval_paths: list[Path] = field(default_factory=list)
    # Held-out episodes evaluated here when no --eval_paths are given (0: push without evaluations).
    eval_episodes: int = 256
    eval_seed: int = 1000
    num_envs: int = 64
    # The env of that evaluation (default: the one the checkpoint was trained in).
    env: EnvConfig | None = None
    # Physics threads (0: all CPUs).
    num_threads: int = 0


def push(cfg: PushConfig) -> str:
    """Validate, evaluate if needed, push; returns the repo URL."""
    if cfg.policy is None:
        raise ValueError("give --policy.path=<resip checkpoint directory> and --policy.repo_id=<user>/<name>")
    checkpoint = cfg.policy.pretrained_path
    if not isinstance(cfg.policy, ResipConfig) or checkpoint is None:
        raise ValueError(
            "--policy.path must be a resip checkpoint (lerobot-resip-train's checkpoints/*/pretrained_model); "
            "push a diffusion base with `lerobot-train ... --policy.push_to_hub=true --policy.repo_id=...`"
        )
    if not Path(checkpoint).is_dir():
        raise ValueError(f"--policy.path={checkpoint} is not a local checkpoint directory")
    if not cfg.policy.repo_id or cfg.policy.repo_id.count("/") != 1:
        raise ValueError(f"--policy.repo_id must look like <user>/<name>, got {cfg.policy.repo_id!r}")
    if cfg.env is not None and not isinstance(cfg.env, FurnitureEnvConfig):
        raise ValueError(f"--env.type={cfg.env.type} is not supported; use --env.type=furniture")
    if cfg.eval_episodes < 0 or cfg.num_envs < 1:
        raise ValueError("--eval_episodes must be >= 0 and --num_envs >= 1")
    evaluations = []
    for path in cfg.eval_paths:
        if not Path(path).is_file():
            raise ValueError(f"--eval_paths: {path} does not exist (give lerobot-resip-eval output files)")
        try:
            evaluations.append(evaluation_row(json.loads(Path(path).read_text()), Path(path).stem))
        except (json.JSONDecodeError, KeyError) as err:
            raise ValueError(f"--eval_paths: {path} is not a lerobot-resip-eval result ({error_line(err)})") from None
    if not cfg.eval_paths and cfg.eval_episodes:
        env = cfg.env if cfg.env is not None else checkpoint_env(cfg.policy)
        for perturb, name in ((False, "resip"), (True, "resip_perturbed")):
            result = evaluate_checkpoint(cfg.policy, dataclasses.replace(env, perturb=perturb), cfg.eval_episodes,
                                         cfg.num_envs, cfg.eval_seed, num_threads=cfg.num_threads)
            evaluations.append(evaluation_row(result, name))
    return push_resip(Path(checkpoint), cfg.policy.repo_id, evaluations, cfg.policy.private, cfg.policy.license,
                      cfg.policy.tags)


@parser.wrap()
def _parse(cfg: PushConfig) -> PushConfig:
    return cfg


class PushFailedError(RuntimeError):
    """The Hub refused or could not be reached; the message is one line."""


def _push_and_report(cfg: PushConfig) -> None:
    try:
        url = push(cfg)
    except ValueError:
        raise
    except Exception as err:  # noqa: BLE001 - network, auth and Hub errors of every kind
        raise PushFailedError(f"push to the Hub failed ({type(err).__name__}: {error_line(err)})") from err
    print(f"pushed to {url}")


def main() -> None:
    run_command(PROG, _parse, _push_and_report, run_errors=(ValueError, PushFailedError))


if __name__ == "__main__":
    main()

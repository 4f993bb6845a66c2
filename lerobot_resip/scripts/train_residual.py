"""`lerobot-resip-train`: PPO on the ResiP residual over a frozen diffusion base, in the batched simulator.

Example (a diffusion base from `lerobot-train` becomes the base of a fresh resip policy):

    lerobot-resip-train --policy.path=outputs/base/checkpoints/last/pretrained_model \\
        --env.type=furniture --env.task=peg_in_hole --num_envs=1024 --num_iterations=200 \\
        --output_dir=outputs/resip

`--policy.path` may also be a resip checkpoint (e.g. `.../checkpoints/best/pretrained_model`) to
continue from its residual with fresh optimizers; `--policy.type=resip --policy.base_path=...` works
too. `--resume=true --output_dir=X` continues `X/checkpoints/last` exactly, with the run's own saved
settings: iteration count, optimizer states, RNG states and the best success so far. Flags given with
it may extend the run (`--num_iterations`) or change how it is watched and pushed; any other flag
must repeat the run's value.

Each iteration resets every env (seeds derived from --seed and the episode index; with
`--expert_start_phase` the task's scripted expert first plays part of them up to that phase), rolls out one
whole episode (an env whose episode ended is no longer simulated), and runs a PPO update on the residual and the critic (settings: `--ppo.*`, paper
defaults). Every `--eval_every` iterations the residual MEAN is evaluated on fixed seeds.

Output: `checkpoints/last/` (every iteration) and `checkpoints/best/` (best evaluation success, never
replaced by a worse one), each with `pretrained_model/` (policy + processors, loadable with
`ResipPolicy.from_pretrained` / `lerobot-resip-eval --policy.path=...`); `last/` also has
`training_state/`. Both are written to a temporary directory first and swapped in with `os.replace`.
Metrics go to the console, `metrics.jsonl` and (optionally) Weights & Biases.
"""

import copy
import dataclasses
import json
import logging
import os
import shutil
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import draccus
import numpy as np
import torch
from lerobot.configs import PreTrainedConfig, parser
from lerobot.envs.configs import EnvConfig
from lerobot.optim.optimizers import load_optimizer_state, save_optimizer_state
from lerobot.utils.random_utils import load_rng_state, save_rng_state, set_seed
from safetensors import SafetensorError

from lerobot_resip.envs.configs import FurnitureEnvConfig
from lerobot_resip.envs.expert import EXPERTS, make_expert
from lerobot_resip.hub import TRAIN_CONFIG_FILE, evaluation_row, invocation, push_resip
from lerobot_resip.policies.resip.configuration_resip import read_json_file
from lerobot_resip.rl.ppo import PPOConfig, compute_gae, make_optimizers, make_schedulers, ppo_update
from lerobot_resip.rl.rollout import ExpertStart, PolicyIO, collect_rollout, evaluate
from lerobot_resip.rl.runtime import (
    EVAL_SEEDS,
    EXPERT_SEEDS,
    TRAIN_SEEDS,
    episode_seeds,
    load_policy,
    make_sim,
)
from lerobot_resip.scripts.cli import PolicyFromPath, error_line, run_command
from lerobot_resip.scripts.evaluate import evaluate_checkpoint

logger = logging.getLogger("lerobot_resip.train")
PROG = "lerobot-resip-train"
TRAINING_STATE = "training_state"
PRETRAINED = "pretrained_model"


@dataclass
class WandbSettings:
    # `online`, `offline` (local files, sync later) or `disabled`.
    mode: str = "disabled"
    project: str = "lerobot-resip"
    entity: str | None = None
    run_name: str | None = None


@dataclass
class TrainResidualConfig(PolicyFromPath):
    # The simulated task (--env.type=furniture --env.task=... --env.episode_length=...).
    env: EnvConfig = field(default_factory=FurnitureEnvConfig)
    # --policy.path=<resip or diffusion checkpoint, local or a Hub repo id>, or --policy.type=resip
    # --policy.base_path=<diffusion>. --policy.push_to_hub=true --policy.repo_id=<user>/<name>
    # [--policy.private=true] pushes the best checkpoint, with a model card, when training ends.
    policy: PreTrainedConfig | None = None
    ppo: PPOConfig = field(default_factory=PPOConfig)
    # Environments rolled out together; one episode each per iteration (paper: 1024).
    num_envs: int = 1024
    # PPO iterations (one rollout + one update each).
    num_iterations: int = 200
    # Evaluate the residual mean every this many iterations (and after the last one).
    eval_every: int = 5
    # Evaluation episodes (fixed seeds, the same at every evaluation).
    eval_episodes: int = 1024
    output_dir: Path = Path("outputs/resip")
    # Continue output_dir/checkpoints/last (pass the same other arguments again).
    resume: bool = False
    seed: int = 0
    # Physics threads (0: all CPUs).
    num_threads: int = 0
    # Torch threads (None: torch's default).
    torch_threads: int | None = None
    # The residual's exploration noise is drawn once every this many control steps and held in
    # between (1: a fresh draw every step, as the paper). Held noise tries a persistent shift, which
    # an absolute-pose controller does not forget at the next step the way it forgets a one-step kick.
    # PPO keeps the per-step Gaussian log-probabilities, an approximation once the noise is held.
    exploration_hold_steps: int = 1
    # Start some episodes from a later point of the task: the task's scripted expert plays them from the
    # reset until it first enters this phase (one_leg: `carry`, the leg upright in the hand, before it is
    # carried to the hole; `lerobot_resip.envs.expert*.PHASES` lists them), then the policy plays the
    # rest, and only the policy's steps train it. It puts the sparse reward's decisions in front of the
    # residual more often when the base seldom gets there. None: every episode starts from the reset,
    # as the paper's. The evaluations always start from the reset.
    expert_start_phase: str | None = None
    # Share of each iteration's envs (the first ones) whose episode the expert starts.
    expert_start_fraction: float = 0.5
    # With --policy.push_to_hub=true: held-out episodes the best checkpoint is evaluated on, without and
    # with perturbations, for its model card (0: push without evaluations).
    push_eval_episodes: int = 256
    # Seed of those episodes (the trainer's own evaluations use --seed's stream).
    push_eval_seed: int = 1000
    wandb: WandbSettings = field(default_factory=WandbSettings)


class TrainError(Exception):
    """A user-facing failure: one line on stderr, exit code 1."""


def validate(cfg: TrainResidualConfig) -> None:
    if not isinstance(cfg.env, FurnitureEnvConfig):
        raise TrainError(f"--env.type={cfg.env.type} is not supported; use --env.type=furniture")
    for name in ("num_envs", "num_iterations", "eval_every", "eval_episodes", "exploration_hold_steps"):
        if getattr(cfg, name) < 1:
            raise TrainError(f"--{name} must be >= 1, got {getattr(cfg, name)}")
    if cfg.expert_start_phase is not None:
        phases = EXPERTS[cfg.env.task].PHASES if cfg.env.task in EXPERTS else ()
        if cfg.expert_start_phase not in phases:
            raise TrainError(f"--expert_start_phase={cfg.expert_start_phase} is not a phase of the {cfg.env.task} "
                             f"expert; choose one of: {', '.join(phases)}")
        if not 0 < cfg.expert_start_fraction <= 1:
            raise TrainError(f"--expert_start_fraction must be in (0, 1], got {cfg.expert_start_fraction}")
    if cfg.push_eval_episodes < 0:
        raise TrainError(f"--push_eval_episodes must be >= 0, got {cfg.push_eval_episodes}")
    if cfg.policy is not None and cfg.policy.push_to_hub and not cfg.policy.repo_id:
        raise TrainError("--policy.push_to_hub=true needs --policy.repo_id=<user>/<name> (or --policy.push_to_hub=false)")
    if cfg.wandb.mode not in ("online", "offline", "disabled"):
        raise TrainError(f"--wandb.mode must be online, offline or disabled, got {cfg.wandb.mode!r}")
    last = checkpoint_dir(cfg.output_dir, "last")
    if cfg.resume:
        if last is None:
            raise TrainError(f"--resume=true but {cfg.output_dir}/checkpoints/last does not exist")
    else:
        if cfg.policy is None:
            raise TrainError("give --policy.path=<resip or diffusion checkpoint> (or --policy.type=resip)")
        if last is not None:
            raise TrainError(
                f"{cfg.output_dir} already holds a run; pass --resume=true to continue it or choose a new --output_dir"
            )


# ---------------------------------------------------------------------------------------- checkpoints


def checkpoint_dir(output_dir: Path, name: str) -> Path | None:
    """`checkpoints/<name>`, or the previous copy a crash between the two renames left behind."""
    root = Path(output_dir) / "checkpoints"
    for candidate in (root / name, root / f"{name}.old"):
        if candidate.is_dir():
            return candidate
    return None


def write_atomically(target: Path, write) -> None:
    """Write a directory with `write(tmp_dir)` and swap it in: `target` is always a complete checkpoint
    (between the two renames only `target.old` exists, which `checkpoint_dir` falls back to)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".{target.name}.tmp-{os.getpid()}"
    old = target.parent / f"{target.name}.old"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    write(tmp)
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        os.replace(target, old)
    os.replace(tmp, target)
    shutil.rmtree(old, ignore_errors=True)


def save_policy(directory: Path, policy, pre, post, record: dict) -> None:
    """The policy, its processors and the run's record (`resip_train_config.json`: the run's settings,
    the command, how far it got), as one self-contained `pretrained_model` directory."""
    out = directory / PRETRAINED
    policy.save_pretrained(out)
    pre.save_pretrained(out)
    post.save_pretrained(out)
    (out / TRAIN_CONFIG_FILE).write_text(json.dumps(record, indent=2))


# What a checkpoint's run record holds besides the run's settings.
RECORD_KEYS = ("commands", "state")


def run_record(cfg: "TrainResidualConfig", state: dict, commands: list[str]) -> dict:
    """What a checkpoint keeps of its run: every setting but the policy's (config.json holds those), the
    commands that started and resumed it, and the training state (iteration, best success)."""
    settings = draccus.encode(cfg)
    for key in ("policy", "resume"):
        settings.pop(key, None)
    return json.loads(json.dumps({**settings, "commands": commands, "state": state}, default=str))


def read_run_record(checkpoint: Path) -> dict | None:
    """The run record saved in a checkpoint directory (`checkpoints/last`), None for older runs."""
    file = checkpoint / PRETRAINED / TRAIN_CONFIG_FILE
    return read_json_file(file) if file.is_file() else None


# Settings a resumed run may change: how long it goes on and how it is watched, never what it trains.
RESUMABLE = ("num_iterations", "eval_every", "num_threads", "torch_threads", "wandb", "push_eval_episodes",
             "push_eval_seed")
RESUMABLE_POLICY = ("push_to_hub", "repo_id", "private", "license", "tags")
NOT_SETTINGS = ("output_dir", "resume", "config_path", "help")


def resume_config(args: list[str]) -> TrainResidualConfig:
    """`--resume=true`: the run's own saved settings (its `checkpoints/last`), with the flags of `args`
    that a resumed run may change (`RESUMABLE`, and the push options of the policy). Any other flag must
    repeat the run's value; a different one is a one-line error, as is a run that cannot be resumed."""
    policy_args = [a for a in args if a.startswith("--policy.")]
    cli = draccus.parse(TrainResidualConfig, args=[a for a in args if not a.startswith("--policy.")])
    last = checkpoint_dir(cli.output_dir, "last")
    if last is None:
        raise TrainError(f"--resume=true but {cli.output_dir}/checkpoints/last does not exist")
    record = read_run_record(last)
    if record is None:  # a run from before run records: its flags must be passed again, as they were
        logger.warning("%s has no saved settings (%s); using this command's flags", last, TRAIN_CONFIG_FILE)
        return cli
    settings = {key: value for key, value in record.items() if key not in RECORD_KEYS}
    saved = draccus.decode(TrainResidualConfig, settings)
    given = {arg[2:].split("=")[0] for arg in args if arg.startswith("--") and not arg.startswith("--policy.")}
    for key in sorted(given):
        field_name = key.split(".")[0]
        if field_name in NOT_SETTINGS:
            continue
        ours, theirs = _get(cli, key), _get(saved, key)
        if field_name in RESUMABLE:
            _set(saved, key, ours)
        elif ours != theirs:
            raise TrainError(
                f"--{key}={ours} differs from the run's {theirs} ({last}); a resumed run keeps its settings: "
                "drop the flag, or start a new run in another --output_dir"
            )
    iteration = record["state"]["iteration"]
    if saved.num_iterations < iteration:
        raise TrainError(f"--num_iterations={saved.num_iterations} is below the run's iteration {iteration}")
    for arg in policy_args:
        if arg[len("--policy."):].split("=")[0] not in RESUMABLE_POLICY:
            raise TrainError(f"{arg.split('=')[0]}: a resumed run keeps its policy; only its push options "
                             f"({', '.join(RESUMABLE_POLICY)}) may be given")
    saved.policy = PreTrainedConfig.from_pretrained(str(last / PRETRAINED), cli_overrides=policy_args)
    saved.output_dir, saved.resume = cli.output_dir, True
    return saved


def _get(cfg, dotted: str):
    for name in dotted.split("."):
        cfg = getattr(cfg, name)
    return cfg


def _set(cfg, dotted: str, value) -> None:
    *parents, name = dotted.split(".")
    for parent in parents:
        cfg = getattr(cfg, parent)
    setattr(cfg, name, value)


def save_last(output_dir: Path, policy, pre, post, optimizers, state: dict, record: dict) -> None:
    def write(tmp: Path) -> None:
        save_policy(tmp, policy, pre, post, record)
        training = tmp / TRAINING_STATE
        training.mkdir()
        save_optimizer_state({"actor": optimizers[0], "critic": optimizers[1]}, training)
        save_rng_state(training)
        (training / "training_state.json").write_text(json.dumps(state, indent=2))

    write_atomically(Path(output_dir) / "checkpoints" / "last", write)


def save_best(output_dir: Path, policy, pre, post, eval_result: dict, record: dict) -> None:
    def write(tmp: Path) -> None:
        save_policy(tmp, policy, pre, post, record)
        summary = {k: v for k, v in eval_result.items() if k not in ("success", "episode_lengths", "seeds")}
        (tmp / "eval_info.json").write_text(json.dumps(summary, indent=2))

    write_atomically(Path(output_dir) / "checkpoints" / "best", write)


# ------------------------------------------------------------------------------------------------ train


def _finite(modules) -> bool:
    return all(torch.isfinite(p).all() for m in modules for p in m.parameters())


class MetricsSink:
    def __init__(self, cfg: TrainResidualConfig):
        self.path = Path(cfg.output_dir) / "metrics.jsonl"
        self.wandb = None
        if cfg.wandb.mode != "disabled":
            import wandb

            self.wandb = wandb.init(
                project=cfg.wandb.project,
                entity=cfg.wandb.entity,
                name=cfg.wandb.run_name,
                mode=cfg.wandb.mode,
                dir=str(cfg.output_dir),
                config=json.loads(json.dumps(draccus.encode(cfg), default=str)),
                resume="allow",
            )

    def log(self, iteration: int, metrics: dict) -> None:
        with open(self.path, "a") as f:
            f.write(json.dumps({"iteration": iteration, **metrics}) + "\n")
        if self.wandb is not None:
            self.wandb.log(metrics, step=iteration)

    def close(self) -> None:
        if self.wandb is not None:
            self.wandb.finish()


def expert_start(cfg: TrainResidualConfig, sim, iteration: int) -> ExpertStart | None:
    """The iteration's expert-started episodes (`--expert_start_phase`): the first envs, an expert seeded
    by the run seed and the iteration (so a resumed run replays the same)."""
    if cfg.expert_start_phase is None:
        return None
    n = cfg.num_envs
    seed = int(episode_seeds(cfg.seed, EXPERT_SEEDS, iteration, 1)[0])
    expert = make_expert(cfg.env.task, n, seed=seed, control_hz=sim.control_hz)
    envs = np.arange(n) < round(cfg.expert_start_fraction * n)
    return ExpertStart(expert, envs, expert.PHASES.index(cfg.expert_start_phase))


def start_success_rates(ro, start: ExpertStart | None) -> dict:
    """With expert-started episodes: the training success of those and of the episodes started from the
    reset, apart."""
    if start is None:
        return {}
    rates = {"train/success_rate_expert_start": float(ro.success[start.envs].mean())}
    if (~start.envs).any():
        rates["train/success_rate_from_reset"] = float(ro.success[~start.envs].mean())
    return rates


def train(cfg: TrainResidualConfig) -> dict:
    """Run (or resume) PPO training; returns the final training state."""
    validate(cfg)
    if cfg.torch_threads:
        torch.set_num_threads(cfg.torch_threads)
    out = Path(cfg.output_dir)
    out.mkdir(parents=True, exist_ok=True)

    commands = [c for c in [invocation(PROG)] if c]
    if cfg.resume:
        last = checkpoint_dir(out, "last")
        policy_cfg = cfg.policy or PreTrainedConfig.from_pretrained(str(last / PRETRAINED))
        policy_cfg.pretrained_path = last / PRETRAINED
        previous = read_run_record(last)
        commands = (previous or {}).get("commands", []) + commands
    else:
        policy_cfg = cfg.policy
        set_seed(cfg.seed)
    try:
        policy, pre, post = load_policy(policy_cfg)
    except ValueError as err:  # an unusable checkpoint: named in one line by the loaders
        raise TrainError(error_line(err)) from None
    if not cfg.resume:  # a fresh run starts from a saved copy of itself (self-contained checkpoints)
        policy.config.pretrained_path = None
    io = PolicyIO(pre, post)

    optimizers = make_optimizers(policy.residual, policy.critic, cfg.ppo)
    schedulers = make_schedulers(optimizers, cfg.ppo, cfg.num_iterations)  # before loading: adds initial_lr
    state = {"iteration": 0, "best_success": -1.0, "best_iteration": None, "env_steps": 0}
    if cfg.resume:
        training = last / TRAINING_STATE
        try:
            load_optimizer_state({"actor": optimizers[0], "critic": optimizers[1]}, training)
            state = json.loads((training / "training_state.json").read_text())
            load_rng_state(training)
        except (OSError, ValueError, KeyError, SafetensorError) as err:
            raise TrainError(
                f"{training} is incomplete or corrupt ({error_line(err)}); resume from a copy of the run, or start "
                f"a new run from its policy with --policy.path={last / PRETRAINED}"
            ) from None
        logger.info("resuming %s at iteration %d (best success %.3f)", last, state["iteration"], state["best_success"])
    with warnings.catch_warnings():  # fast-forward: the schedules are functions of the iteration
        warnings.filterwarnings("ignore", message="Detected call of")
        for _ in range(state["iteration"]):
            for s in schedulers:
                s.step()

    sim = make_sim(cfg.env, cfg.num_envs, cfg.seed, cfg.num_threads)
    eval_seeds = episode_seeds(cfg.seed, EVAL_SEEDS, 0, cfg.eval_episodes)
    sink = MetricsSink(cfg)
    policy.train()

    from tqdm import tqdm

    bar = tqdm(total=cfg.num_iterations, initial=state["iteration"], desc="PPO iterations", dynamic_ncols=True)
    try:
        while state["iteration"] < cfg.num_iterations:
            it = state["iteration"]
            t_start = time.perf_counter()
            seeds = episode_seeds(cfg.seed, TRAIN_SEEDS, it * cfg.num_envs, cfg.num_envs)
            start = expert_start(cfg, sim, it)
            ro = collect_rollout(policy, io, sim, seeds, cfg.exploration_hold_steps, start)
            t_rollout = time.perf_counter() - t_start

            adv, ret = compute_gae(ro.rewards, ro.values, ro.dones, cfg.ppo.gamma, cfg.ppo.gae_lambda)
            m = ro.valid.bool()
            snapshot = copy.deepcopy(
                (policy.residual.state_dict(), policy.critic.state_dict(), [o.state_dict() for o in optimizers])
            )
            stats = ppo_update(policy.residual_distribution, policy.value, ro.inputs[m], ro.residuals[m],
                               ro.logprobs[m], adv[m], ret[m], ro.values[m], optimizers, cfg.ppo,
                               acted=ro.acted[m].bool())
            if not _finite((policy.residual, policy.critic)):
                logger.error("iteration %d: non-finite weights after the update; restored the previous ones", it)
                policy.residual.load_state_dict(snapshot[0])
                policy.critic.load_state_dict(snapshot[1])
                for o, s in zip(optimizers, snapshot[2], strict=True):
                    o.load_state_dict(s)
                stats["nonfinite_skipped"] += 1
            if stats["nonfinite_skipped"]:
                logger.warning("iteration %d: non-finite PPO loss or gradient, update skipped", it)
            if stats["approx_kl"] > 10 * (cfg.ppo.target_kl or float("inf")):
                logger.warning("iteration %d: approx KL %.3g far above target %.3g", it, stats["approx_kl"],
                               cfg.ppo.target_kl)
            if ro.physics_unstable or ro.nonfinite_actions:
                logger.warning("iteration %d: %d physics blow-ups (counted as failures), %d non-finite actions "
                               "(replaced by the base action)", it, ro.physics_unstable, ro.nonfinite_actions)
            for s in schedulers:
                s.step()
            state["iteration"] = it + 1
            state["env_steps"] += int(m.sum())

            metrics = {
                "train/success_rate": ro.success_rate,
                **start_success_rates(ro, start),
                "train/episode_reward": float(ro.rewards.sum(0).mean()),
                "train/physics_unstable": ro.physics_unstable,
                "train/nonfinite_actions": ro.nonfinite_actions,
                **{f"ppo/{k}": v for k, v in stats.items()},
                "ppo/actor_lr": optimizers[0].param_groups[0]["lr"],
                "ppo/critic_lr": optimizers[1].param_groups[0]["lr"],
                "perf/rollout_s": t_rollout,
                "perf/update_s": time.perf_counter() - t_start - t_rollout,
                "perf/env_steps_per_s": float(m.sum()) / t_rollout,
                "env_steps": state["env_steps"],
                **ro.timing,
            }
            if (it + 1) % cfg.eval_every == 0 or it + 1 == cfg.num_iterations:
                result = evaluate(policy, io, sim, eval_seeds, sampling_seed=cfg.seed)
                metrics.update({"eval/success_rate": result["success_rate"],
                                "eval/mean_episode_length": result["mean_episode_length"],
                                "eval/physics_unstable": result["physics_unstable"]})
                if result["success_rate"] > state["best_success"]:
                    state["best_success"], state["best_iteration"] = result["success_rate"], it + 1
                    state["best_env_steps"] = state["env_steps"]
                    save_best(out, policy, pre, post, {**result, "iteration": it + 1},
                              run_record(cfg, state, commands))
                    metrics["eval/new_best"] = 1
            save_last(out, policy, pre, post, optimizers, state, run_record(cfg, state, commands))
            metrics["perf/iteration_s"] = time.perf_counter() - t_start
            sink.log(it + 1, metrics)
            logger.info(
                "it %d | train success %.3f%s | kl %.4f clipfrac %.3f ev %.3f | vloss %.4g | %.0f env-steps/s",
                it + 1, ro.success_rate,
                f" | eval success {metrics['eval/success_rate']:.3f}" if "eval/success_rate" in metrics else "",
                stats["approx_kl"], stats["clipfrac"], stats["explained_variance"], stats["value_loss"],
                metrics["perf/env_steps_per_s"],
            )
            bar.set_postfix(success=f"{ro.success_rate:.1%}", best=f"{max(state['best_success'], 0):.1%}",
                            refresh=False)
            bar.update(1)
    finally:
        bar.close()
        sink.close()
    if policy.config.push_to_hub:
        push_best(cfg, policy.config.repo_id, policy.config.private)
    return state


def push_best(cfg: TrainResidualConfig, repo_id: str, private: bool | None) -> str:
    """Evaluate the best checkpoint on held-out episodes (the task's own episode length, without and
    with perturbations) and push it with its model card; returns the repo URL."""
    best = checkpoint_dir(cfg.output_dir, "best") / PRETRAINED
    policy_cfg = PreTrainedConfig.from_pretrained(str(best))
    policy_cfg.pretrained_path = best
    evaluations = []
    if cfg.push_eval_episodes:
        for perturb, name in ((False, "resip"), (True, "resip_perturbed")):
            env = dataclasses.replace(cfg.env, episode_length=None, perturb=perturb)
            logger.info("evaluating %s on %d held-out episodes (seed %d, perturb=%s) for its model card",
                        best, cfg.push_eval_episodes, cfg.push_eval_seed, perturb)
            result = evaluate_checkpoint(policy_cfg, env, cfg.push_eval_episodes, cfg.num_envs,
                                         cfg.push_eval_seed, num_threads=cfg.num_threads)
            evaluations.append(evaluation_row(result, name))
    try:
        return push_resip(best, repo_id, evaluations, private)
    except Exception as err:  # noqa: BLE001 - network, auth and Hub errors of every kind
        raise TrainError(
            f"push to the Hub failed ({type(err).__name__}: {error_line(err)}); the checkpoint is kept in {best}: "
            f"push it with `lerobot-resip-push --policy.path={best} --policy.repo_id={repo_id}`"
        ) from err


# --------------------------------------------------------------------------------------------------- CLI


@parser.wrap()
def _parse(cfg: TrainResidualConfig) -> TrainResidualConfig:
    return cfg


def _resuming(args: list[str]) -> bool:
    """Whether the command line asks for `--resume=true` (or `--resume true`)."""
    values = [arg.split("=", 1)[1] if "=" in arg else (args[i + 1] if i + 1 < len(args) else "")
              for i, arg in enumerate(args) if arg.split("=", 1)[0] == "--resume"]
    return bool(values) and values[-1].lower() in ("true", "1", "yes")


def _validated() -> TrainResidualConfig:
    args = sys.argv[1:]
    cfg = resume_config(args) if _resuming(args) else _parse()
    validate(cfg)
    return cfg


def main() -> None:
    run_command(PROG, _validated, train, run_errors=(TrainError,))

if __name__ == "__main__":
    main()

"""`lerobot-resip-rollout`: N evaluation episodes of a policy on a robot, recorded, with their success.

It is `lerobot-rollout --strategy.type=episodic` (LeRobot's flags, context, inference engine, recording and
keyboard controls) with what an evaluation adds:
  - before every episode the robot is reset (`Franka.reset`: the hand opens, the tool lifts, the arm moves to
    its home posture) and, with `--scene_reset`, the scene too (an automated reset; the franky-sim bench's);
  - an episode ends as soon as the parts are assembled: `--success=tags` applies the task's assembly check
    (the simulator's) to the part poses the robot observes from AprilTags; `--success=operator` asks the
    operator after each episode (no tags fitted); `auto` (default) is `tags` when the robot observes part
    poses;
  - an arm stop (reflex, control error) fails the episode and the evaluation goes on; Ctrl-C stops the arm
    at once (no further targets, no return move), fails the episode and ends the run;
  - a JSON of the per-episode results, the success rate and its 95% Wilson interval (`--results_path`).

The policy gets the robot's part poses as `observation.environment_state`: `lerobot-rollout` folds every
`.pos`/`.vel` value into one `observation.state`; the split step (`SplitRobotStateStep`) that resip
checkpoints carry in their preprocessor undoes that, and is added here to checkpoints saved without it
(older resip checkpoints, diffusion bases).

Example (a real FR3; see docs/franka_deployment.md):

    lerobot-resip-rollout --strategy.type=episodic \\
        --policy.path=outputs/demo/resip/checkpoints/best/pretrained_model \\
        --robot.type=franka --robot.robot_ip=172.16.0.2 --robot.task=peg_in_hole \\
        --robot.tag_calibration=bench.json \\
        --robot.cameras="{front: {type: intelrealsense, serial_number_or_name: '123', width: 1280, height: 960, fps: 30}, ...}" \\
        --fps=10 --dataset.fps=10 --dataset.repo_id=me/rollout_peg_in_hole --dataset.num_episodes=20 \\
        --dataset.episode_time_s=20 --dataset.reset_time_s=10 --dataset.single_task="Insert the peg" \\
        --dataset.push_to_hub=false
"""

import contextlib
import importlib
import json
import logging
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from lerobot.configs import parser
from lerobot.datasets import VideoEncodingManager
from lerobot.processor import NormalizerProcessorStep
from lerobot.rollout import RolloutConfig, build_rollout_context
from lerobot.rollout.configs import EpisodicStrategyConfig
from lerobot.rollout.strategies.core import safe_push_to_hub, send_next_action
from lerobot.rollout.strategies.episodic import EpisodicStrategy
from lerobot.utils.constants import ACTION, OBS_ENV_STATE, OBS_STR
from lerobot.utils.feature_utils import build_dataset_frame
from lerobot.utils.keyboard_input import init_keyboard_listener
from lerobot.utils.process import ProcessSignalHandler
from lerobot.utils.robot_utils import precise_sleep

from lerobot_resip.envs.tasks import assembled, get_task
from lerobot_resip.policies.resip.processor_resip import (
    ClipToTrainingRangeStep,
    SplitRobotStateStep,
    clip_to_training_range_step,
    split_robot_state_step,
)
from lerobot_resip.rl.rollout import wilson_interval
from lerobot_resip.rl.runtime import EVAL_SEEDS, episode_seeds
from lerobot_resip.robots.franka import EpisodeAbortedError, RobotStoppedError
from lerobot_resip.robots.franka.franka import part_keys
from lerobot_resip.scripts.cli import error_line, run_command

logger = logging.getLogger("lerobot_resip.rollout")
PROG = "lerobot-resip-rollout"
SUCCESS_SOURCES = ("auto", "tags", "operator")


@dataclass
class ResipRolloutConfig(RolloutConfig):
    """`lerobot-rollout`'s configuration (every flag is LeRobot's) plus the evaluation's own:

    Args:
        success: "tags", "operator" or "auto" (tags when the robot observes part poses); see the module.
        success_hold_steps: consecutive observations the parts must be assembled for to end an episode.
        scene_reset: "module:function" called as function(robot, seed) before every episode, after the
            robot's reset: an automated scene reset. The franky-sim bench's is
            `lerobot_resip.robots.franka.franky_sim_bench:reset_bench_parts`.
        seed: episode i's scene reset gets seed + i.
        results_path: the results JSON (default: outputs/rollout/<dataset name>/results.json).
        clip_to_training_range: clip the policy's state inputs to their training range before normalizing
            (`ClipToTrainingRangeStep`): inputs that never varied in simulation (the hole's height and tilt)
            otherwise turn sensor noise into normalized values of 10^4.
    """

    success: str = "auto"
    success_hold_steps: int = 1
    scene_reset: str | None = None
    seed: int = 0
    results_path: Path | None = None
    clip_to_training_range: bool = True

    def __post_init__(self):
        if not isinstance(self.strategy, EpisodicStrategyConfig):
            raise ValueError(f"{PROG} runs evaluation episodes: use --strategy.type=episodic")
        super().__post_init__()
        if self.success not in SUCCESS_SOURCES:
            raise ValueError(f"--success must be one of {', '.join(SUCCESS_SOURCES)}, got {self.success!r}")
        if self.success_hold_steps < 1:
            raise ValueError("--success_hold_steps must be >= 1")
        if self.dataset.fps != self.fps:
            raise ValueError(f"--fps={self.fps:g} and --dataset.fps={self.dataset.fps} must be equal")
        control_hz = getattr(self.robot, "control_hz", None)
        if control_hz is not None and abs(control_hz - self.fps) > 1e-9:
            raise ValueError(
                f"--fps={self.fps:g} but the robot runs the policy at --robot.control_hz={control_hz:g}: "
                "pass --fps and --dataset.fps equal to the rate the policy was trained at"
            )
        if self.success == "tags" and not getattr(self.robot, "task", None):
            raise ValueError(
                "--success=tags needs a robot that observes part poses (--robot.task and --robot.tag_calibration)"
            )
        if self.scene_reset is not None:
            resolve_hook(self.scene_reset)
        if self.resolved_success() == "operator" and not sys.stdin.isatty():
            raise ValueError("--success=operator asks after each episode: run in a terminal, or fit tags")

    def resolved_success(self) -> str:
        if self.success != "auto":
            return self.success
        return "tags" if getattr(self.robot, "task", None) else "operator"


def resolve_hook(spec: str):
    """The function named by "module:function", or a one-line ValueError."""
    module_name, _, name = spec.partition(":")
    try:
        fn = getattr(importlib.import_module(module_name), name)
    except (ImportError, AttributeError, ValueError):
        raise ValueError(f"--scene_reset={spec!r} is not an importable module:function") from None
    if not callable(fn):
        raise ValueError(f"--scene_reset={spec!r} is not callable")
    return fn


def add_training_range_clip(preprocessor) -> None:
    """Clip the state inputs to the training range just before the normalizer (`ClipToTrainingRangeStep`)."""
    index = next(i for i, step in enumerate(preprocessor.steps) if isinstance(step, NormalizerProcessorStep))
    if not any(isinstance(step, ClipToTrainingRangeStep) for step in preprocessor.steps):
        preprocessor.steps.insert(index, clip_to_training_range_step(preprocessor))


def ensure_split_step(preprocessor, policy_config) -> bool:
    """Put the robot-state split first in `preprocessor` if it is not there; True if added."""
    if OBS_ENV_STATE not in (policy_config.input_features or {}):
        return False
    if any(isinstance(step, SplitRobotStateStep) for step in preprocessor.steps):
        return False
    preprocessor.steps.insert(0, split_robot_state_step(policy_config))
    return True


def part_poses_from_observation(obs: dict, parts: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """(1, P, 3) positions and (1, P, 4) quaternions of the parts in a franka observation."""
    values = np.array([[obs[key] for key in part_keys(part)] for part in parts])
    return values[None, :, :3], values[None, :, 3:]


class EvaluationStrategy(EpisodicStrategy):
    """LeRobot's episodic strategy, judged: see the module docstring."""

    def __init__(self, config, cfg):
        super().__init__(config)
        self.cfg = cfg
        self.success_source = cfg.resolved_success()
        self.episodes: list[dict] = []
        self.interrupted = False
        self.scene_reset = resolve_hook(cfg.scene_reset) if cfg.scene_reset else None

    def run(self, ctx) -> None:
        cfg, dataset = ctx.runtime.cfg, ctx.data.dataset
        robot = ctx.hardware.robot_wrapper.inner
        task = get_task(robot.config.task) if self.success_source == "tags" else None
        with VideoEncodingManager(dataset):
            index = 0
            while index < cfg.dataset.num_episodes and not self._stopping(ctx):
                if hasattr(robot, "reset"):
                    robot.reset()
                if self.scene_reset is not None:
                    self.scene_reset(robot, episode_seed(cfg.seed, index))
                self._engine.reset()
                self._interpolator.reset()
                self._engine.resume()
                record = self._episode(ctx, robot, task, index)
                if self._events["rerecord_episode"]:
                    self._events["rerecord_episode"] = self._events["exit_early"] = False
                    dataset.clear_episode_buffer()
                    logger.info("episode %d discarded; recording it again", index)
                    continue
                if self.success_source == "operator" and record["end"] != "interrupted":
                    record["success"] = self._ask_operator(index)
                if dataset.has_pending_frames():
                    record["dataset_episode"] = dataset.num_episodes
                    dataset.save_episode()
                self.episodes.append(record)
                logger.info(
                    "episode %d/%d: %s (%s after %d steps, %.1f s)",
                    index + 1,
                    cfg.dataset.num_episodes,
                    "success" if record["success"] else "failure",
                    record["end"],
                    record["steps"],
                    record["seconds"],
                )
                index += 1
                if record["end"] == "interrupted":
                    break

    def _stopping(self, ctx) -> bool:
        robot = ctx.hardware.robot_wrapper.inner
        if (
            ctx.runtime.shutdown_event.is_set()
            or self._events["stop_recording"]
            or getattr(robot, "interrupted", False)
        ):
            self.interrupted = True
        return self.interrupted

    def _episode(self, ctx, robot, task, index: int) -> dict:
        """One episode of `episode_time_s * fps` control steps (the simulator's 200 at 20 s and 10 Hz),
        counted in steps so that a loop slower than `fps` still gets the policy's full horizon."""
        cfg, dataset, features = ctx.runtime.cfg, ctx.data.dataset, ctx.data.dataset_features
        wrapper = ctx.hardware.robot_wrapper
        interval = self._interpolator.get_control_interval(cfg.fps)
        max_steps = round(cfg.dataset.episode_time_s * cfg.fps)
        single_task = cfg.dataset.single_task or cfg.task
        record = {"episode": index, "seed": episode_seed(cfg.seed, index), "success": False, "end": "time", "steps": 0}
        assembled_for = 0
        start = time.perf_counter()
        while record["steps"] < max_steps:
            loop_start = time.perf_counter()
            if self._events["exit_early"]:
                self._events["exit_early"] = False
                record["end"] = "operator"
                break
            if self._stopping(ctx):
                record["end"] = "interrupted"
                break
            try:
                obs = wrapper.get_observation()
            except EpisodeAbortedError as err:
                record["end"], record["stop_reason"] = "arm stopped", str(err)
                break
            if task is not None:
                assembled_for = (
                    assembled_for + 1 if assembled(task, *part_poses_from_observation(obs, task.parts))[0] else 0
                )
                if assembled_for >= self.cfg.success_hold_steps:
                    record["success"], record["end"] = True, "assembled"
                    break
            obs_processed = self._process_observation_and_notify(ctx.processors, obs)
            try:
                action = send_next_action(obs_processed, obs, ctx, self._interpolator)
            except EpisodeAbortedError as err:
                record["end"], record["stop_reason"] = "arm stopped", str(err)
                break
            if action is not None:
                frame = {
                    **build_dataset_frame(features, obs_processed, prefix=OBS_STR),
                    **build_dataset_frame(features, action, prefix=ACTION),
                }
                dataset.add_frame({**frame, "task": single_task})
                record["steps"] += 1
            precise_sleep(max(interval - (time.perf_counter() - loop_start), 0.0))
        record["seconds"] = round(time.perf_counter() - start, 2)
        record["ms_per_step"] = round(1000 * record["seconds"] / max(record["steps"], 1), 1)
        if hasattr(robot, "timing"):
            record.update(robot.timing())
        if getattr(robot, "episode_failed", False):
            record["success"] = False
            record.setdefault("stop_reason", getattr(robot, "stop_reason", None))
            if record["end"] in ("time", "assembled"):
                record["end"] = "arm stopped"
        return record

    def _ask_operator(self, index: int) -> bool:
        if self._listener is not None:
            self._listener.stop()
        try:
            answer = input(f"episode {index + 1}: were the parts assembled? [y/N] ").strip().lower()
        except EOFError:
            answer = ""
        self._listener, self._events = init_keyboard_listener()
        return answer in ("y", "yes")

    def teardown(self, ctx) -> None:
        robot = ctx.hardware.robot_wrapper.inner
        if not self.interrupted and robot.is_connected and hasattr(robot, "reset"):
            with contextlib.suppress(Exception):
                robot.reset()  # release the parts and go home: the scene is left as it ended
        if self.interrupted:
            logger.warning("interrupted: the arm stopped where it was; no return move")
        # LeRobot's return to the initial position would move the arm: reset() did it, or Ctrl-C forbids it.
        ctx.runtime.cfg.return_to_initial_position = False
        if ctx.runtime.cfg.dataset.push_to_hub and ctx.data.dataset is not None:
            ctx.runtime.cfg.dataset.push_to_hub = False
            try:
                super().teardown(ctx)
            finally:
                self._push(ctx)
            return
        super().teardown(ctx)

    @staticmethod
    def _push(ctx) -> None:
        try:
            safe_push_to_hub(
                ctx.data.dataset, tags=ctx.runtime.cfg.dataset.tags, private=ctx.runtime.cfg.dataset.private
            )
        except Exception as err:  # noqa: BLE001 - the episodes are saved locally; say so in one line
            logger.warning("the dataset stays local, pushing it failed: %s", error_line(err))


def episode_seed(seed: int, index: int) -> int:
    """The reset seed of evaluation episode `index` (lerobot-resip-eval's stream for `seed`)."""
    return int(episode_seeds(seed, EVAL_SEEDS, index, 1)[0])


def summarize(episodes: list[dict]) -> dict:
    n = len(episodes)
    k = sum(bool(e["success"]) for e in episodes)
    low, high = wilson_interval(k, n) if n else (0.0, 1.0)
    return {"episodes": n, "successes": k, "success_rate": k / n if n else 0.0, "success_ci95": [low, high]}


def run(cfg: ResipRolloutConfig) -> dict:
    """Run the episodes and write the results JSON (also when the run stops early); returns the results."""
    start = time.perf_counter()
    signal_handler = ProcessSignalHandler(use_threads=True, display_pid=False)
    ctx = build_rollout_context(cfg, signal_handler.shutdown_event)
    if ensure_split_step(ctx.policy.preprocessor, ctx.policy.policy.config):
        logger.info("the policy's preprocessor had no robot-state split; added it")
    if cfg.clip_to_training_range:
        add_training_range_clip(ctx.policy.preprocessor)
    strategy = EvaluationStrategy(cfg.strategy, cfg)
    dataset = ctx.data.dataset
    error = None
    try:
        strategy.setup(ctx)
        strategy.run(ctx)
    except KeyboardInterrupt:
        strategy.interrupted = True
    except RobotStoppedError as err:
        error = str(err)
        raise
    finally:
        strategy.teardown(ctx)
        result = {
            "policy_path": str(cfg.policy.pretrained_path),
            "policy_type": cfg.policy.type,
            "robot": cfg.robot.type,
            "dataset": {"repo_id": dataset.repo_id, "root": str(dataset.root), "episodes": dataset.num_episodes},
            "success_source": strategy.success_source,
            "interrupted": strategy.interrupted,
            "error": error,
            **summarize(strategy.episodes),
            "per_episode": strategy.episodes,
            "wall_s": round(time.perf_counter() - start, 1),
        }
        path = Path(cfg.results_path or Path("outputs/rollout") / dataset.repo_id.split("/")[-1] / "results.json")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(result, indent=2))
        low, high = result["success_ci95"]
        logger.info(
            "success %d/%d = %.3f (95%% CI %.3f-%.3f) -> %s",
            result["successes"],
            result["episodes"],
            result["success_rate"],
            low,
            high,
            path,
        )
    return result


@parser.wrap()
def _parse(cfg: ResipRolloutConfig) -> ResipRolloutConfig:
    return cfg


def main() -> None:
    run_command(PROG, _parse, run, run_errors=(ValueError, RobotStoppedError))

if __name__ == "__main__":
    main()

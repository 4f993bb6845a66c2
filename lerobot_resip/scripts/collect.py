"""`lerobot-resip-collect`: record scripted-expert demonstrations as a LeRobot v3 dataset.

The scripted expert drives N batched simulator environments at once; every environment's
episode is buffered and only successful episodes are written. Collection stops as soon as
`--num_episodes` successes are saved (or `--max_attempts` episodes were tried).

Example:

    lerobot-resip-collect --env.type=furniture --env.task=peg_in_hole --env.randomness=low \\
        --num_episodes=50 --dataset.root=outputs/demos --dataset.repo_id=local/peg_in_hole
    lerobot-resip-collect --env.type=biman_insert --env.randomness=low \\
        --num_episodes=50 --dataset.root=outputs/biman_demos --dataset.repo_id=local/biman_insert

Output path semantics (`--dataset.root`, default `$HF_LEROBOT_HOME/<repo_id>`):
  - missing or an empty directory: the dataset is created there;
  - an existing LeRobot dataset (has `meta/info.json`): refused unless `--dataset.overwrite=true`,
    which deletes it first;
  - anything else (a file, a non-empty directory that is not a LeRobot dataset): always refused.

Determinism: episode attempt k is reset with a seed derived from (`--seed`, k) and the expert is
seeded with `--seed`, so a run is reproducible for a given seed and `--num_envs`.

Exit codes: 0 on success; 1 when the input is invalid (one-line message on stderr), when the
attempt cap was reached before `--num_episodes` successes (the saved ones are kept), or when
`--dataset.push_to_hub=true` failed (the local dataset is kept).
"""

import logging
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from lerobot.configs import parser
from lerobot.envs.configs import EnvConfig
from lerobot.utils.constants import ACTION, OBS_ENV_STATE, OBS_IMAGES, OBS_STATE

from lerobot_resip.envs.configs import FurnitureEnvConfig
from lerobot_resip.envs.rendering import CameraRenderer
from lerobot_resip.envs.sim import ACTION_DIM, STATE_DIM
from lerobot_resip.envs.tasks import TaskSpec
from lerobot_resip.hub import DATASET_CARD_TEMPLATE, card_template, invocation
from lerobot_resip.scripts.cli import run_command

logger = logging.getLogger("lerobot_resip.collect")

ROBOT_TYPE = "franka_panda"
PROG = "lerobot-resip-collect"

# One arm's names; a two-arm task's are these prefixed with the arm ("left_ee_pos_x", ...).
STATE_NAMES = [
    *(f"ee_pos_{a}" for a in "xyz"),
    *(f"ee_rot6d_{i}" for i in range(6)),
    *(f"ee_linvel_{a}" for a in "xyz"),
    *(f"ee_angvel_{a}" for a in "xyz"),
    "gripper_width",
]
ACTION_NAMES = [*(f"ee_pos_{a}" for a in "xyz"), *(f"ee_rot6d_{i}" for i in range(6)), "gripper"]
assert len(STATE_NAMES) == STATE_DIM and len(ACTION_NAMES) == ACTION_DIM


def arm_names(names: list[str], arms: tuple[str, ...]) -> list[str]:
    """`names` once per arm, prefixed with the arm's name (no prefix for a task's single arm)."""
    return [f"{arm}_{name}" if arm else name for arm in arms for name in names]


def env_state_names(parts: tuple[str, ...]) -> list[str]:
    return [n for p in parts for n in (*(f"{p}_pos_{a}" for a in "xyz"), *(f"{p}_quat_{a}" for a in "wxyz"))]


class CollectError(Exception):
    """A user-facing failure: reported as one line, exit code 1."""


@dataclass
class CollectDatasetConfig:
    # Dataset id (`user/name`); also the Hub repository with --dataset.push_to_hub=true.
    repo_id: str = "local/resip_demos"
    # Local directory of the dataset (default: $HF_LEROBOT_HOME/<repo_id>).
    root: str | None = None
    # Replace an existing LeRobot dataset at `root` (never deletes anything that is not one).
    overwrite: bool = False
    # Upload the finalized dataset to the Hugging Face Hub.
    push_to_hub: bool = False
    private: bool = False
    # Store camera frames as MP4 videos instead of PNG images (pixels_state only).
    use_videos: bool = False


@dataclass
class CollectConfig:
    # The simulated task: --env.type=furniture --env.task=... --env.randomness=... (see FurnitureEnvConfig),
    # or --env.type=biman_insert --env.randomness=... (see BimanInsertEnvConfig).
    env: EnvConfig = field(default_factory=FurnitureEnvConfig)
    dataset: CollectDatasetConfig = field(default_factory=CollectDatasetConfig)
    # Successful episodes to save.
    num_episodes: int = 50
    # Simulator environments stepped together.
    num_envs: int = 16
    # Seeds the expert and (with the attempt index) every episode's reset.
    seed: int = 0
    # Scale of the expert's noise (0: noiseless expert).
    expert_noise: float = 1.0
    # Give up after this many episode attempts (default: 10 x num_episodes + num_envs).
    max_attempts: int | None = None
    # Physics threads (0: all CPUs).
    num_threads: int = 0


@parser.wrap()
def _parse(cfg: CollectConfig) -> CollectConfig:
    return cfg


def validate(cfg: CollectConfig) -> Path:
    """Check the config and return the dataset root; raises CollectError with a one-line reason."""
    if not isinstance(cfg.env, FurnitureEnvConfig):
        raise CollectError(f"--env.type={cfg.env.type} is not supported; use --env.type=furniture or biman_insert")
    if cfg.num_episodes < 1:
        raise CollectError(f"--num_episodes must be >= 1, got {cfg.num_episodes}")
    if cfg.num_envs < 1:
        raise CollectError(f"--num_envs must be >= 1, got {cfg.num_envs}")
    if cfg.max_attempts is not None and cfg.max_attempts < cfg.num_episodes:
        raise CollectError(f"--max_attempts ({cfg.max_attempts}) must be >= --num_episodes ({cfg.num_episodes})")
    if cfg.expert_noise < 0:
        raise CollectError(f"--expert_noise must be >= 0, got {cfg.expert_noise}")
    if not cfg.dataset.repo_id or cfg.dataset.repo_id.count("/") != 1:
        raise CollectError(f"--dataset.repo_id must look like 'user/name', got {cfg.dataset.repo_id!r}")
    if cfg.dataset.root is not None:
        root = Path(cfg.dataset.root).expanduser()
    else:
        from lerobot.utils.constants import HF_LEROBOT_HOME

        root = HF_LEROBOT_HOME / cfg.dataset.repo_id
    check_root(root, cfg.dataset.overwrite)
    return root


def is_lerobot_dataset(path: Path) -> bool:
    return (path / "meta" / "info.json").is_file()


def check_root(root: Path, overwrite: bool) -> None:
    if not root.exists() and not root.is_symlink():
        return
    if not root.is_dir():
        raise CollectError(f"--dataset.root={root} exists and is not a directory; choose a new path")
    if not any(root.iterdir()):
        return
    if is_lerobot_dataset(root):
        if not overwrite:
            raise CollectError(
                f"--dataset.root={root} already holds a LeRobot dataset; "
                "pass --dataset.overwrite=true to replace it or choose a new path"
            )
        return
    raise CollectError(
        f"--dataset.root={root} is a non-empty directory that is not a LeRobot dataset; "
        "refusing to write there, choose a new path"
    )


def prepare_root(root: Path) -> None:
    """Make `root` absent (LeRobotDataset.create requires it) after `check_root` accepted it."""
    if root.is_dir():
        if any(root.iterdir()):
            shutil.rmtree(root)  # only reached for an existing dataset with --dataset.overwrite=true
        else:
            root.rmdir()


def dataset_features(env_cfg: FurnitureEnvConfig, task: TaskSpec, use_videos: bool) -> dict:
    parts, arms = task.parts, task.arms
    features = {
        OBS_STATE: {"dtype": "float32", "shape": (STATE_DIM * len(arms),), "names": arm_names(STATE_NAMES, arms)},
        OBS_ENV_STATE: {"dtype": "float32", "shape": (7 * len(parts),), "names": env_state_names(parts)},
        ACTION: {"dtype": "float32", "shape": (ACTION_DIM * len(arms),), "names": arm_names(ACTION_NAMES, arms)},
    }
    if env_cfg.obs_type == "pixels_state":
        for cam in task.cameras:
            features[f"{OBS_IMAGES}.{cam}"] = {
                "dtype": "video" if use_videos else "image",
                "shape": (env_cfg.observation_height, env_cfg.observation_width, 3),
                "names": ["height", "width", "channel"],
            }
    return features


def dataset_description(
    cfg: CollectConfig, parts: tuple[str, ...], episodes: int, frames: int, attempts: int, successes: int
) -> str:
    """The pushed dataset card's description (LeRobot's card template wraps it): the task, the
    expert's measured success, the seeds and the command that recorded it."""
    env_cfg: FurnitureEnvConfig = cfg.env
    return card_template(DATASET_CARD_TEMPLATE).format(
        task=env_cfg.task,
        randomness=env_cfg.randomness,
        clearance_mm=env_cfg.clearance_mm,
        parts=", ".join(parts),
        episodes=episodes,
        frames=frames,
        attempts=attempts,
        success_rate=successes / max(1, attempts),
        seed=cfg.seed,
        repo_id=cfg.dataset.repo_id,
        command=invocation(PROG) or f"{PROG} --env.type={env_cfg.type} --env.task={env_cfg.task} "
        f"--env.randomness={env_cfg.randomness} --num_episodes={cfg.num_episodes} --seed={cfg.seed}",
    )


def episode_seed(seed: int, attempt: int) -> int:
    return int(np.random.SeedSequence([seed, attempt]).generate_state(1, dtype=np.uint64)[0] >> 1)


def collect(cfg: CollectConfig, root: Path) -> int:
    import datasets
    from lerobot.datasets.lerobot_dataset import LeRobotDataset
    from tqdm import tqdm

    from lerobot_resip.envs.expert import make_expert

    env_cfg: FurnitureEnvConfig = cfg.env
    n = cfg.num_envs
    max_attempts = cfg.max_attempts if cfg.max_attempts is not None else 10 * cfg.num_episodes + n
    try:  # bad settings (clearance out of range, a task without an expert) raise ValueError
        sim = env_cfg.make_batched_sim(n, seed=cfg.seed, num_threads=cfg.num_threads)
        expert = make_expert(env_cfg.task, n, seed=cfg.seed, noise=cfg.expert_noise, control_hz=sim.control_hz)
    except ValueError as err:
        raise CollectError(str(err)) from err
    description = sim.task.description
    pixels = env_cfg.obs_type == "pixels_state"
    cameras = CameraRenderer(sim, env_cfg.observation_height, env_cfg.observation_width) if pixels else None

    prepare_root(root)
    dataset = LeRobotDataset.create(
        cfg.dataset.repo_id,
        fps=env_cfg.fps,
        features=dataset_features(env_cfg, sim.task, cfg.dataset.use_videos),
        root=root,
        robot_type=ROBOT_TYPE,
        use_videos=cfg.dataset.use_videos,
        image_writer_threads=4 if pixels else 0,  # PNG writes off the stepping thread
    )

    datasets.disable_progress_bars()  # one bar per saved episode otherwise
    start = time.perf_counter()
    attempts = saved = successes = frames = unstable = 0
    active = np.zeros(n, dtype=bool)
    buffers: list[list[dict]] = [[] for _ in range(n)]

    def start_episodes(ids: np.ndarray) -> dict[str, np.ndarray]:
        nonlocal attempts
        ids = ids[: max(0, max_attempts - attempts)]
        if len(ids):
            seeds = [episode_seed(cfg.seed, attempts + k) for k in range(len(ids))]
            attempts += len(ids)
            obs = sim.reset(ids, seeds)
            expert.reset(ids)
            active[ids] = True
            for i in ids:
                buffers[i] = []
            return obs
        return sim.observation()

    bar = tqdm(total=cfg.num_episodes, desc="successful episodes", unit="ep", dynamic_ncols=True)
    try:
        obs = start_episodes(np.arange(n))
        while saved < cfg.num_episodes and active.any():
            images = {i: cameras.render(i) for i in np.flatnonzero(active)} if pixels else {}
            action = np.asarray(expert.act(obs), dtype=np.float32)
            for i in np.flatnonzero(active):
                frame = {
                    OBS_STATE: obs["agent_pos"][i].copy(),
                    OBS_ENV_STATE: obs["environment_state"][i].copy(),
                    ACTION: action[i].copy(),
                    "task": description,
                }
                for cam, img in images.get(i, {}).items():
                    frame[f"{OBS_IMAGES}.{cam}"] = img
                buffers[i].append(frame)
            obs, _, terminated, truncated, info = sim.step(action)
            done = active & (terminated | truncated)
            for i in np.flatnonzero(done):
                unstable += bool(info["physics_unstable"][i])
                successes += bool(info["is_success"][i])
                if info["is_success"][i] and saved < cfg.num_episodes:
                    for frame in buffers[i]:
                        dataset.add_frame(frame)
                    dataset.save_episode()
                    saved += 1
                    frames += len(buffers[i])
                buffers[i] = []
                active[i] = False
            if done.any():
                finished = attempts - int(active.sum())
                bar.set_postfix(attempts=finished, success_rate=f"{successes / finished:.0%}", refresh=False)
                bar.update(saved - bar.n)
                if saved < cfg.num_episodes:
                    obs = start_episodes(np.flatnonzero(done))
    finally:
        bar.close()
        dataset.finalize()
        if cameras is not None:
            cameras.close()

    finished = attempts - int(active.sum())
    elapsed = time.perf_counter() - start
    logger.info(
        "saved %d episodes (%d frames) to %s | %d attempts finished, expert success rate %.1f%%%s | %.1f s",
        saved,
        frames,
        root,
        finished,
        100 * successes / max(1, finished),
        f", {unstable} physics blow-ups" if unstable else "",
        elapsed,
    )
    if saved == 0:
        shutil.rmtree(root)  # created above and still empty: leave nothing behind
        raise CollectError(
            f"no episode succeeded in {finished} attempts (--max_attempts={max_attempts}); nothing was written"
        )
    if saved < cfg.num_episodes:
        raise CollectError(
            f"only {saved} of {cfg.num_episodes} episodes succeeded within --max_attempts={max_attempts}; "
            f"the {saved} saved episodes are kept in {root}"
        )

    if cfg.dataset.push_to_hub:
        try:
            description = dataset_description(cfg, sim.task.parts, saved, frames, finished, successes)
            dataset.push_to_hub(
                tags=["LeRobot", "resip", env_cfg.task],
                private=cfg.dataset.private,
                license="apache-2.0",
                dataset_description=description,
            )
        except Exception as err:  # noqa: BLE001 - network/auth failures of every kind
            msg = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            raise CollectError(
                f"push to the Hub failed ({type(err).__name__}: {msg}); the local dataset is kept in {root}"
            ) from err
        logger.info("pushed to https://huggingface.co/datasets/%s", cfg.dataset.repo_id)
    return saved


def _validated() -> tuple[CollectConfig, Path]:
    cfg = _parse()
    return cfg, validate(cfg)


def main() -> None:
    run_command(PROG, _validated, lambda parsed: collect(*parsed), run_errors=(CollectError,))

if __name__ == "__main__":
    main()

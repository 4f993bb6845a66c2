"""The env types for LeRobot's CLIs: `furniture` (single-arm tasks) and `biman_insert` (two arms)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from lerobot.configs import FeatureType, PolicyFeature
from lerobot.envs.configs import EnvConfig
from lerobot.utils.constants import ACTION, OBS_ENV_STATE, OBS_IMAGES, OBS_STATE

from lerobot_resip.envs.gym_env import OBS_TYPES
from lerobot_resip.envs.sim import ACTION_DIM, PART_POSE_DIM, STATE_DIM, BatchedAssemblySim
from lerobot_resip.envs.tasks import check_randomness, get_task

GYM_NAMESPACE = "lerobot_resip"


@EnvConfig.register_subclass("furniture")
@dataclass
class FurnitureEnvConfig(EnvConfig):
    """Simulated precise-assembly tasks (MuJoCo) with the paper's state and action spaces.

    Args:
        task: which assembly (`peg_in_hole`, `one_leg`).
        randomness: `low` (parts +-1.5 cm, +-15 deg) or `med` (+-5 cm, +-45 deg) at reset.
        clearance_mm: hole width minus peg width, in millimetres (the paper uses 0.2).
        perturb: the paper's robustness protocol, each part pushed with probability 1% a step.
        obs_type: `state` (agent_pos + environment_state) or `pixels_state` (plus front and
            wrist camera images).
        episode_length: control steps before truncation; None for the task's own episode duration at
            `fps` (peg_in_hole 200 steps, one_leg 700, at 10 Hz).
        fps: control steps per second; None for the task's own (10 Hz). It must divide the 400 Hz
            physics rate (10, 20, 25, 50, ...).
        arm_stiffness: factor on the arm's joint servo gains (1: the stiff arm every result here was
            trained with; 0.3: about the tool stiffness of a 2000 N/m Cartesian impedance controller, as
            the `franka` robot's; see `BatchedAssemblySim`).
    """

    num_arms: ClassVar[int] = 1  # the tasks this env type runs have this many arms

    task: str | None = "peg_in_hole"
    fps: int | None = None
    randomness: str = "low"
    clearance_mm: float = 0.5
    perturb: bool = False
    obs_type: str = "state"
    episode_length: int | None = None
    arm_stiffness: float = 1.0
    observation_width: int = 128
    observation_height: int = 128
    features: dict[str, PolicyFeature] = field(default_factory=dict)
    features_map: dict[str, str] = field(
        default_factory=lambda: {
            ACTION: ACTION,
            "agent_pos": OBS_STATE,
            "environment_state": OBS_ENV_STATE,
        }
    )

    def __post_init__(self):
        spec = get_task(self.task)
        if spec.num_arms != self.num_arms:
            other = "biman_insert" if spec.num_arms == 2 else "furniture"
            raise ValueError(f"task {self.task!r} has {spec.num_arms} arms: use --env.type={other}")
        check_randomness(self.randomness)
        if not 0 < self.arm_stiffness < float("inf"):
            raise ValueError(f"--env.arm_stiffness must be a positive factor, got {self.arm_stiffness}")
        if self.obs_type not in OBS_TYPES:
            raise ValueError(f"unknown obs_type {self.obs_type!r}; choose one of {', '.join(OBS_TYPES)}")
        if self.fps is None:
            self.fps = spec.control_hz
        if self.fps <= 0:
            raise ValueError(f"fps must be positive, got {self.fps}")
        if self.episode_length is None:  # the task's episode duration at this rate
            self.episode_length = round(spec.episode_length * self.fps / spec.control_hz)
        self.features = {
            ACTION: PolicyFeature(type=FeatureType.ACTION, shape=(ACTION_DIM * spec.num_arms,)),
            "agent_pos": PolicyFeature(type=FeatureType.STATE, shape=(STATE_DIM * spec.num_arms,)),
            "environment_state": PolicyFeature(type=FeatureType.ENV, shape=(PART_POSE_DIM * len(spec.parts),)),
        }
        for cam in spec.cameras:
            self.features_map.setdefault(f"pixels/{cam}", f"{OBS_IMAGES}.{cam}")
        if self.obs_type == "pixels_state":
            for cam in spec.cameras:
                self.features[f"pixels/{cam}"] = PolicyFeature(
                    type=FeatureType.VISUAL, shape=(self.observation_height, self.observation_width, 3)
                )

    def make_batched_sim(self, num_envs: int, seed: int | None = None, num_threads: int = 0) -> BatchedAssemblySim:
        """The batched simulator of this task and its settings (for training, evaluation, demos)."""
        return BatchedAssemblySim(
            self.task,
            num_envs=num_envs,
            randomness=self.randomness,
            clearance=self.clearance_mm / 1000,
            perturb=self.perturb,
            max_episode_steps=self.episode_length,
            num_threads=num_threads,
            seed=seed,
            control_hz=self.fps,
            arm_stiffness=self.arm_stiffness,
        )

    @property
    def package_name(self) -> str:
        return GYM_NAMESPACE

    @property
    def gym_kwargs(self) -> dict:
        return {
            "randomness": self.randomness,
            "clearance_mm": self.clearance_mm,
            "perturb": self.perturb,
            "obs_type": self.obs_type,
            "observation_width": self.observation_width,
            "observation_height": self.observation_height,
            "max_episode_steps": self.episode_length,
            "control_hz": self.fps,
            "arm_stiffness": self.arm_stiffness,
        }


@EnvConfig.register_subclass("biman_insert")
@dataclass
class BimanInsertEnvConfig(FurnitureEnvConfig):
    """The paper's two-arm precise insertion (MuJoCo): two Pandas facing each other across a
    table pick up a peg and a block with a square hole and insert the peg in the air.

    The same fields as `furniture`; the differences are the task's: 20-d actions (the 10-d
    absolute end-effector action of the left arm, then of the right arm, world frame), 32-d
    `agent_pos` (both arms' 16-d proprio), 14-d `environment_state` (peg, block), 50 Hz control,
    500-step episodes, cameras `front`, `left_wrist`, `right_wrist` (docs/envs/biman_insert.md).

    Args:
        task: `biman_insert`.
        randomness: `low` (parts +-1.5 cm, +-15 deg) or `med` (+-5 cm, +-45 deg) at reset.
        clearance_mm: hole width minus peg width, in millimetres (default 0.5).
        perturb: each part pushed with probability 1% a control step.
        obs_type: `state` or `pixels_state` (plus the three cameras' images).
        episode_length: control steps before truncation; None for the task's 10 s at `fps` (500
            steps at 50 Hz).
        fps: control steps per second; None for the paper's 50 Hz (10 Hz: 40 physics steps a control
            step, chunks that span 5x longer).
    """

    num_arms: ClassVar[int] = 2
    task: str | None = "biman_insert"

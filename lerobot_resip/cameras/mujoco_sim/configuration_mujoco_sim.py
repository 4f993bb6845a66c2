"""Configuration of the `mujoco_sim` camera type (`--robot.cameras="{front: {type: mujoco_sim, ...}}"`)."""

from __future__ import annotations

from dataclasses import dataclass

from lerobot.cameras.configs import CameraConfig


@CameraConfig.register_subclass("mujoco_sim")
@dataclass(kw_only=True)
class MujocoSimCameraConfig(CameraConfig):
    """A camera of the franky-sim bench's scene (`lerobot_resip.robots.franka.franky_sim_bench`).

    Args:
        bench_address: the bench's local socket (`FrankySimBench.address`), which serves the scene and its state.
        camera: the camera's name in the scene (`front`, `wrist`).
        width, height, fps: the image size and the rate LeRobot expects (frames are rendered on request).
    """

    bench_address: str = ""
    camera: str = "front"

    def __post_init__(self):
        if not self.bench_address:
            raise ValueError("a mujoco_sim camera needs bench_address: the socket the franky-sim bench prints")
        for name in ("width", "height", "fps"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise ValueError(f"mujoco_sim camera: {name} must be positive, got {value}")

"""Camera images of the environments of a BatchedAssemblySim (headless, via EGL by default)."""

from __future__ import annotations

import mujoco
import numpy as np

CAMERAS = ("front", "wrist")


class CameraRenderer:
    """Renders any environment of a batched simulator from its named cameras at one size."""

    def __init__(self, sim, height: int, width: int):
        self.sim = sim
        self.renderer = mujoco.Renderer(sim.model, height, width)
        self.data = mujoco.MjData(sim.model)

    def render(self, env: int, cameras: tuple[str, ...] = CAMERAS) -> dict[str, np.ndarray]:
        self.sim.get_data(env, self.data)
        images = {}
        for cam in cameras:
            self.renderer.update_scene(self.data, camera=cam)
            images[cam] = self.renderer.render().copy()
        return images

    def close(self) -> None:
        self.renderer.close()

"""Camera images of the environments of a BatchedAssemblySim (headless, via EGL by default)."""

from __future__ import annotations

import mujoco
import numpy as np

CAMERAS = ("front", "wrist")  # the single-arm tasks' cameras; a task's own are `TaskSpec.cameras`


class CameraRenderer:
    """Renders any environment of a batched simulator from its task's cameras at one size."""

    def __init__(self, sim, height: int, width: int):
        self.sim = sim
        self.renderer = mujoco.Renderer(sim.model, height, width)
        self.data = mujoco.MjData(sim.model)

    def render(self, env: int, cameras: tuple[str, ...] | None = None) -> dict[str, np.ndarray]:
        """Images of environment `env` from `cameras` (observation keys; default: all the task's)."""
        self.sim.get_data(env, self.data)
        images = {}
        for cam in self.sim.task.cameras if cameras is None else cameras:
            self.renderer.update_scene(self.data, camera=self.sim.task.cameras[cam])
            images[cam] = self.renderer.render().copy()
        return images

    def close(self) -> None:
        self.renderer.close()

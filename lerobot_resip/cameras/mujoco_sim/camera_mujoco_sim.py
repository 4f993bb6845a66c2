"""A LeRobot camera over `mujoco.Renderer`: one camera of the franky-sim bench's scene.

At connect it fetches the scene's MJCF from the bench; every read fetches a snapshot of the simulation's
state (one physics step boundary), puts it in a local copy of the scene and renders it. Frames are rendered
on request, so `async_read` and `read_latest` are `read`: always the current state, never a stale frame.
"""

from __future__ import annotations

import threading

import mujoco
import numpy as np
from lerobot.cameras.camera import Camera
from lerobot.utils.errors import DeviceAlreadyConnectedError, DeviceNotConnectedError

from lerobot_resip.cameras.mujoco_sim.configuration_mujoco_sim import MujocoSimCameraConfig


class MujocoSimCamera(Camera):
    def __init__(self, config: MujocoSimCameraConfig):
        super().__init__(config)
        self.config = config
        self.width = config.width or 640
        self.height = config.height or 480
        self._client = None
        self._model = None
        self._data = None
        self._renderer = None
        self._lock = threading.Lock()

    def __str__(self) -> str:
        return f"MujocoSimCamera({self.config.camera})"

    @property
    def bench(self):
        """The `BenchClient` this camera renders from (the franky-sim bench's scene)."""
        return self._client

    @property
    def is_connected(self) -> bool:
        return self._client is not None

    @staticmethod
    def find_cameras() -> list[dict]:
        return []

    def connect(self, warmup: bool = True) -> None:
        if self.is_connected:
            raise DeviceAlreadyConnectedError(f"{self} is already connected")
        from lerobot_resip.robots.franka.franky_sim_bench import BenchClient
        from lerobot_resip.robots.franka.sim_scene import render_model

        client = BenchClient(self.config.bench_address)
        model = render_model(client.model_xml(), self.width, self.height)
        if mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_CAMERA, self.config.camera) < 0:
            client.close()
            raise ValueError(f"the bench's scene has no camera {self.config.camera!r}")
        self._client, self._model, self._data = client, model, mujoco.MjData(model)
        if warmup:
            self.read()

    def read(self) -> np.ndarray:
        if not self.is_connected:
            raise DeviceNotConnectedError(f"{self} is not connected")
        with self._lock:
            _, qpos = self._client.state()
            self._data.qpos[:] = qpos
            mujoco.mj_forward(self._model, self._data)
            if self._renderer is None:  # created on the reading thread (its GL context lives there)
                self._renderer = mujoco.Renderer(self._model, self.height, self.width)
            self._renderer.update_scene(self._data, camera=self.config.camera)
            return self._renderer.render().copy()

    def async_read(self, timeout_ms: float = 200) -> np.ndarray:
        return self.read()

    def read_latest(self, max_age_ms: int = 500) -> np.ndarray:
        return self.read()

    def disconnect(self) -> None:
        if not self.is_connected:
            raise DeviceNotConnectedError(f"{self} is not connected")
        with self._lock:
            if self._renderer is not None:
                self._renderer.close()
            self._client.close()
            self._client = self._renderer = None

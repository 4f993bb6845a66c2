"""A simulated FR3 bench: franky-sim (MuJoCo, the libfranka protocol on loopback) in its own process.

`FrankySimBench` starts franky-sim in a child process (its 1 kHz loop gets its own interpreter) and tears
it down on exit. With a `task`, the scene also holds the task's parts (our geometry and contact parameters,
with AprilTags on them) and its cameras, and the bench serves, over a local socket (`BenchClient`):
  - the scene's MJCF (`model_xml`) and a consistent snapshot of its state (`state`), which the simulated
    camera (`lerobot_resip.cameras.mujoco_sim`) renders;
  - `reset_parts(seed)`: the parts placed as the training simulator places them for that seed;
  - `part_poses()`: the true part poses, and `assembled()`: whether the task is assembled.

franky-sim itself (Apache-2.0) simulates the arm and gripper servers; what it lacks (objects, cameras,
resets, a pacing that holds real time on a busy machine) is what this module adds.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing as mp
import os
import queue
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Client, Listener

import numpy as np

from lerobot_resip.robots.franka.config_franka import HOME_JOINTS

logger = logging.getLogger(__name__)

_AUTHKEY = b"lerobot-resip-bench"


@dataclass(frozen=True)
class BenchConfig:
    """What the bench simulates.

    Args:
        task: a furniture task whose parts, tags and cameras are added to the scene; None: the arm alone.
        clearance: hole width minus peg width (m), as the training simulator's `clearance`.
        randomness: reset randomness of the parts ("low" or "med").
        initial_q: the arm's starting joint posture (the training simulator's home by default).
        realtime: pace the 1 ms physics step to the wall clock (never faster; slower when the machine
            cannot keep up). False runs as fast as it can.
        time_factor: seconds of robot time per second of wall clock when `realtime` (1: real time). Below 1 the
            robot's clock runs slower, so that a machine that needs more than 0.1 s of wall clock to render
            the cameras and detect the tags still observes and acts at 10 Hz of the robot's clock, with the
            latency a faster machine would have.
        seed: seed of the first part placement.
        grasp_force_control: squeeze a grasped part with the commanded grasp force, as a Franka Hand does (see
            `_regulate_grasp_force`); False leaves franky-sim's hand as it is, at most 10 N per finger on the
            20 mm peg whatever force is commanded.
    """

    task: str | None = None
    clearance: float = 0.0005
    randomness: str = "low"
    initial_q: tuple[float, ...] = HOME_JOINTS
    realtime: bool = True
    time_factor: float = 1.0
    seed: int = 0
    grasp_force_control: bool = True

    def __post_init__(self):
        if not 0 < self.time_factor <= 1:
            raise ValueError(f"time_factor must be in (0, 1], got {self.time_factor}")


class FrankySimBench:
    """Context manager: franky-sim running in a child process; `hostname` is the robot address to use."""

    def __init__(self, config: BenchConfig | None = None, start_timeout: float = 120.0):
        self.config = config or BenchConfig()
        self.start_timeout = start_timeout
        self.hostname: str | None = None
        self.address: str | None = None
        self._process = None
        self._control = None

    def __enter__(self) -> FrankySimBench:
        ctx = mp.get_context("spawn")
        parent, child = ctx.Pipe()
        self._control = parent
        self._process = ctx.Process(target=_serve, args=(self.config, child), daemon=True, name="franky-sim-bench")
        self._process.start()
        child.close()
        if not parent.poll(self.start_timeout):
            self.__exit__(None, None, None)
            raise TimeoutError(f"franky-sim did not start within {self.start_timeout:.0f} s")
        try:
            message = parent.recv()
        except EOFError:
            message = ("error", f"the bench process exited with code {self._process.exitcode}")
        if message[0] != "ready":
            self.__exit__(None, None, None)
            raise RuntimeError(f"franky-sim failed to start: {message[1]}")
        _, self.hostname, self.address = message
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if self._control is not None:
            with contextlib.suppress(OSError, BrokenPipeError):
                self._control.send(("stop",))
        if self._process is not None:
            self._process.join(10)
            if self._process.is_alive():
                self._process.terminate()
                self._process.join(5)
        self._process = None

    def client(self) -> BenchClient:
        if self.address is None:
            raise RuntimeError("the bench serves a scene only with a task")
        return BenchClient(self.address)


class BenchClient:
    """Talks to a running bench over its local socket (one request at a time, thread-safe)."""

    def __init__(self, address: str):
        self.address = address
        self._conn = Client(address, family="AF_UNIX", authkey=_AUTHKEY)
        self._lock = threading.Lock()

    def _ask(self, *request):
        with self._lock:
            self._conn.send(request)
            status, value = self._conn.recv()
        if status != "ok":
            raise RuntimeError(f"bench: {value}")
        return value

    def model_xml(self) -> str:
        return self._ask("model_xml")

    def state(self) -> tuple[float, np.ndarray]:
        """(simulation time (s), qpos) at one step boundary."""
        return self._ask("state")

    def reset_parts(self, seed: int) -> None:
        self._ask("reset_parts", int(seed))

    def part_poses(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """True {part: (position, quaternion (w, x, y, z))} in the robot base frame."""
        return self._ask("part_poses")

    def assembled(self) -> bool:
        return self._ask("assembled")

    def history(self) -> list[dict]:
        """One entry per `reset_parts`: the seed, and whether the parts were assembled just before it."""
        return self._ask("history")

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._conn.close()


def reset_bench_parts(robot, seed: int) -> None:
    """`lerobot-resip-rollout --scene_reset` hook: the bench places the parts for `seed` (its history keeps
    whether they were assembled before). The bench is the one the robot's `mujoco_sim` cameras render."""
    from lerobot_resip.cameras.mujoco_sim import MujocoSimCamera

    cameras = [cam for cam in getattr(robot, "cameras", {}).values() if isinstance(cam, MujocoSimCamera)]
    if not cameras:
        raise ValueError("reset_bench_parts needs a robot with a mujoco_sim camera of the franky-sim bench")
    cameras[0].bench.reset_parts(seed)


# ---------------------------------------------------------------------------------------------- child side


class _StepRequests:
    """Requests that must run between two physics steps (the sim thread runs them in a post-step hook)."""

    def __init__(self):
        self._pending: queue.SimpleQueue = queue.SimpleQueue()

    def call(self, fn, timeout: float = 30.0):
        done, box = threading.Event(), {}
        self._pending.put((fn, done, box))
        if not done.wait(timeout):
            raise TimeoutError("the simulation did not step")
        if "error" in box:
            raise box["error"]
        return box["value"]

    def run_pending(self, sim) -> None:
        while True:
            try:
                fn, done, box = self._pending.get_nowait()
            except queue.Empty:
                return
            try:
                box["value"] = fn(sim)
            except Exception as err:  # noqa: BLE001 - handed back to the requester
                box["error"] = err
            done.set()


def _serve(config: BenchConfig, control) -> None:
    """Child process: build the scene, start franky-sim's servers, run the paced loop until told to stop."""
    logging.basicConfig(level=logging.WARNING)
    try:
        import franky_sim
        from franky_sim.mujoco_simulator import MujocoSimulator
    except ImportError as err:
        control.send(("error", f"franky-sim is not installed: pip install 'lerobot_policy_resip[test]' ({err})"))
        return
    try:
        sim = MujocoSimulator()
        sim.init()
        robot = sim.add_robot(initial_q=tuple(config.initial_q))
        if config.grasp_force_control:
            _regulate_grasp_force(robot)
        scene = None
        if config.task is not None:
            from lerobot_resip.robots.franka.sim_scene import add_task_to_franky_scene

            scene = add_task_to_franky_scene(sim, config.task, config.clearance)
        server = franky_sim.SimulationServer(sim)
        server.init()
    except Exception as err:  # noqa: BLE001 - reported to the parent as one line
        control.send(("error", f"{type(err).__name__}: {err}"))
        return

    requests = _StepRequests()
    sim.register_post_step_callback(requests.run_pending)
    address = None
    listener = None
    tmpdir = tempfile.mkdtemp(prefix="resip-bench-")
    if scene is not None:
        scene.attach(sim)
        scene.reset_parts(sim, config.randomness, config.seed)
        address = os.path.join(tmpdir, "bench.sock")
        listener = Listener(address, family="AF_UNIX", authkey=_AUTHKEY)
        threading.Thread(target=_accept, args=(listener, sim, scene, requests, config.randomness), daemon=True).start()

    stop = threading.Event()

    def watch_parent():
        with contextlib.suppress(EOFError, OSError):
            control.recv()
        stop.set()

    threading.Thread(target=watch_parent, daemon=True).start()
    control.send(("ready", robot.hostname, address))
    try:
        _run_paced(server, stop, config.realtime, config.time_factor)
    finally:
        with contextlib.suppress(Exception):
            server.cleanup()
        with contextlib.suppress(Exception):
            sim.cleanup()
        if listener is not None:
            with contextlib.suppress(Exception):
                listener.close()
        if scene is not None:
            scene.cleanup()
        shutil.rmtree(tmpdir, ignore_errors=True)


def _regulate_grasp_force(robot, gain: float = 10.0) -> None:
    """Make franky-sim's hand squeeze with the commanded grasp force, split between its two fingers.

    A Franka Hand's grasp closes until contact, then regulates the commanded force (libfranka's `grasp`
    force; 70 N continuous at most). franky-sim drives each finger with a PD servo to half the commanded
    width (1000 N/m), clipped at the commanded force per finger: a grasp at width 0 on the 20 mm peg squeezes
    1000 N/m x 10 mm = 10 N per finger, whatever force is asked. With the servo `gain` times stiffer the clip
    binds from 1 mm of remaining travel on, so the squeeze is the commanded force, half on each finger. The
    closing speed stays franky-sim's 0.05 m/s per finger limit.
    """
    set_hand_goal = robot.set_hand_goal
    robot._kp_hand = robot._kp_hand * gain
    robot.set_hand_goal = lambda width, max_velocity, max_force: set_hand_goal(width, max_velocity, max_force / 2)


def _run_paced(server, stop: threading.Event, realtime: bool, time_factor: float = 1.0) -> None:
    """franky-sim's loop, paced against a deadline rather than by sleeping 1 ms a step.

    `SimulationServer.run_forever(realtime=True)` sleeps after every step and, with the sleep overshoot of a
    general-purpose kernel, runs at 0.4x real time on a 2-core machine; this loop sleeps only when it is
    ahead of the wall clock, so it runs at real time when the machine can, and as fast as it can otherwise.
    A `time_factor` below 1 stretches each 1 ms step over 1 / time_factor ms of wall clock.
    """
    dt = 0.001 / time_factor
    start = time.perf_counter()
    steps = 0
    while not stop.is_set():
        server.run_once(False)
        steps += 1
        if not realtime:
            continue
        ahead = start + steps * dt - time.perf_counter()
        if ahead > 0.002:
            time.sleep(ahead)
        elif ahead < -0.1:  # too far behind to catch up: do not run fast to make up for it
            start, steps = time.perf_counter(), 0


def _accept(listener, sim, scene, requests: _StepRequests, randomness: str) -> None:
    history: list[dict] = []
    while True:
        try:
            conn = listener.accept()
        except OSError:
            return
        threading.Thread(target=_handle, args=(conn, sim, scene, requests, randomness, history), daemon=True).start()


def _handle(conn, sim, scene, requests: _StepRequests, randomness: str, history: list) -> None:
    def reset_parts(s, seed):
        history.append({"seed": seed, "assembled_before": scene.assembled(s), "time": float(s.data.time)})
        scene.reset_parts(s, randomness, seed)

    handlers = {
        "model_xml": lambda: scene.model_xml,
        "state": lambda: requests.call(scene.snapshot),
        "reset_parts": lambda seed: requests.call(lambda s: reset_parts(s, seed)),
        "history": lambda: list(history),
        "part_poses": lambda: requests.call(scene.part_poses),
        "assembled": lambda: requests.call(scene.assembled),
    }
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        name, args = request[0], request[1:]
        try:
            reply = ("ok", handlers[name](*args))
        except Exception as err:  # noqa: BLE001 - handed back to the client
            reply = ("error", f"{name}: {type(err).__name__}: {err}")
        try:
            conn.send(reply)
        except OSError:
            return

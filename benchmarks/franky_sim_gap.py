"""How the franky-sim bench differs from the training simulator, per controller; prints one JSON object.

The scripted expert (peg_in_hole's, 100% successful in the training simulator) runs closed loop on the
franky-sim bench through the `franka` robot type, with its part poses from the AprilTags, once with each
controller, on the episodes `lerobot-resip-eval --seed=<seed>` starts with; and in the training simulator on
the same episodes. Per controller it reports:
  - success: from the tag-based check (what `lerobot-resip-rollout` reports) and true (the bench's state);
  - tracking: the distance from each commanded tool target (after the robot's limits) to the tool point
    measured one control step (0.1 s of the robot's clock) later, and the rotation between them; the
    training simulator's own figure is the reference the policies were trained with;
  - pose: the tag estimate of the parts against the bench's true poses, at the start of each episode.
With `--part_poses=true` the expert sees the bench's true part poses and no camera is rendered: the
controllers' tracking and the contacts alone, at a fraction of the CPU (rendering and tag detection cost
most of a control step).

Usage: python benchmarks/franky_sim_gap.py [--episodes 10] [--seed 1000] [--controllers impedance position]
           [--part_poses tags|true] [--output outputs/franky_sim_gap]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from lerobot_resip.cameras.mujoco_sim import MujocoSimCameraConfig
from lerobot_resip.envs.expert import make_expert
from lerobot_resip.envs.rotation import matrix_from_rot6d, quat_to_matrix, rotvec_from_matrix
from lerobot_resip.envs.sim import BatchedAssemblySim
from lerobot_resip.envs.tasks import assembled, get_task
from lerobot_resip.perception.tags import save_calibration
from lerobot_resip.rl.runtime import EVAL_SEEDS, episode_seeds
from lerobot_resip.robots.franka import EpisodeAbortedError, Franka, FrankaConfig
from lerobot_resip.robots.franka.franka import ACTION_KEYS, PROPRIO_KEYS, part_keys
from lerobot_resip.robots.franka.franky_sim_bench import BenchConfig, FrankySimBench
from lerobot_resip.robots.franka.sim_scene import bench_calibration

TASK = "peg_in_hole"
CAMERA_SIZES = {"front": (1280, 960), "side": (1280, 960), "wrist": (640, 480)}
MAX_STEPS = 200


def _tracking(targets: list[np.ndarray], reached: list[np.ndarray]) -> dict:
    """Position (mm) and rotation (degree) from each target (10-d action) to the tool one step later."""
    if not targets:
        return {}
    t, r = np.array(targets), np.array(reached)
    pos = 1000 * np.linalg.norm(t[:, :3] - r[:, :3], axis=1)
    rot = np.degrees(
        np.linalg.norm(
            rotvec_from_matrix(matrix_from_rot6d(t[:, 3:9]) @ np.swapaxes(matrix_from_rot6d(r[:, 3:9]), 1, 2)), axis=1
        )
    )
    return {
        "pos_mm_mean": round(float(pos.mean()), 2),
        "pos_mm_p90": round(float(np.percentile(pos, 90)), 2),
        "deg_mean": round(float(rot.mean()), 2),
        "deg_p90": round(float(np.percentile(rot, 90)), 2),
        "steps": len(pos),
    }


def training_sim(seeds: np.ndarray) -> dict:
    sim = BatchedAssemblySim(TASK, 1, num_threads=1)
    successes, targets, reached = [], [], []
    for seed in seeds:
        obs = sim.reset(seeds=[int(seed)])
        expert = make_expert(TASK, 1, seed=int(seed))
        ok = False
        for _ in range(MAX_STEPS):
            action = expert.act(obs)
            obs, _, terminated, _, _ = sim.step(action)
            targets.append(action[0])
            reached.append(obs["agent_pos"][0, :9])
            if terminated[0]:
                ok = True
                break
        successes.append(ok)
    return {"success": successes, "success_rate": float(np.mean(successes)), "tracking": _tracking(targets, reached)}


def bench(seeds: np.ndarray, controller: str, out: Path, dynamics: float, part_poses: str = "tags") -> dict:
    task = get_task(TASK)
    with FrankySimBench(BenchConfig(task=TASK)) as sim_bench:
        client = sim_bench.client()
        settings = {
            "robot_ip": sim_bench.hostname,
            "controller": controller,
            "relative_dynamics_factor": dynamics,
            "enforce_realtime": False,
            "sync_to_robot_clock": True,
            "calibration_dir": out / "calibration",
        }
        if part_poses == "tags":
            _, qpos = client.state()
            calibration = out / "bench_cameras.json"
            save_calibration(calibration, bench_calibration(client.model_xml(), qpos, CAMERA_SIZES))
            cameras = {
                name: MujocoSimCameraConfig(bench_address=sim_bench.address, camera=name, width=w, height=h, fps=10)
                for name, (w, h) in CAMERA_SIZES.items()
            }
            settings.update(cameras=cameras, image_observations=False, task=TASK, tag_calibration=calibration)
        robot = Franka(FrankaConfig(**settings))
        robot.connect()
        tags_ok, true_ok, targets, reached, pose_err, latencies, aborts = [], [], [], [], [], [], []
        try:
            for seed in seeds:
                robot.reset()
                client.reset_parts(int(seed))
                expert = make_expert(TASK, 1, seed=int(seed))
                ok, sent = False, None
                for step in range(MAX_STEPS):
                    obs = robot.get_observation()
                    agent = np.array([obs[k] for k in PROPRIO_KEYS])
                    if part_poses == "tags":
                        parts = np.array([[obs[k] for k in part_keys(p)] for p in task.parts])
                    else:
                        true = client.part_poses()
                        parts = np.array([[*true[p][0], *true[p][1]] for p in task.parts])
                    if sent is not None:
                        targets.append(sent)
                        reached.append(agent[:9])
                    if step == 0 and part_poses == "tags":
                        true = client.part_poses()
                        for i, part in enumerate(task.parts):
                            turn = rotvec_from_matrix(quat_to_matrix(parts[i, 3:]) @ quat_to_matrix(true[part][1]).T)
                            pose_err.append(
                                (1000 * np.linalg.norm(parts[i, :3] - true[part][0]), np.degrees(np.linalg.norm(turn)))
                            )
                    if assembled(task, parts[None, :, :3], parts[None, :, 3:])[0]:
                        ok = True
                        break
                    action = expert.act({"agent_pos": agent[None], "environment_state": parts.reshape(1, -1)})[0]
                    try:
                        done = robot.send_action(dict(zip(ACTION_KEYS, action.tolist(), strict=True)))
                    except EpisodeAbortedError as err:  # the arm stopped and recovered: a failed episode
                        aborts.append(str(err))
                        break
                    sent = np.array([done[k] for k in ACTION_KEYS[:9]])
                latencies.append(robot.timing().get("latency_ms", np.nan))
                robot.reset()  # let go and go home, then judge the scene as the rollout does
                tags_ok.append(ok)
                true_ok.append(client.assembled())
        finally:
            robot.disconnect()
            client.close()
    pose = np.array(pose_err).reshape(-1, 2)
    out = {
        "success_tags": tags_ok,
        "success_true": true_ok,
        "success_rate_tags": float(np.mean(tags_ok)),
        "success_rate_true": float(np.mean(true_ok)),
        "tracking": _tracking(targets, reached),
        "latency_ms": round(float(np.nanmean(latencies)), 1),
        "clamps": dict(robot.clamp_counts),
        "arm_stops": aborts,
    }
    if len(pose):
        out["start_pose_error"] = {
            "pos_mm_p50": round(float(np.median(pose[:, 0])), 3),
            "pos_mm_max": round(float(pose[:, 0].max()), 3),
            "deg_p50": round(float(np.median(pose[:, 1])), 3),
            "deg_max": round(float(pose[:, 1].max()), 3),
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--episodes", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1000)
    parser.add_argument(
        "--controllers", nargs="+", default=["impedance", "position"], choices=["impedance", "position"]
    )
    parser.add_argument(
        "--relative_dynamics_factor",
        type=float,
        default=0.2,
        help="the FR3's velocity/acceleration/jerk scale for planned motions (position controller, moves home)",
    )
    parser.add_argument(
        "--part_poses",
        choices=("tags", "true"),
        default="tags",
        help="what the expert sees: the robot's tag estimates (cameras rendered) or the bench's true poses",
    )
    parser.add_argument("--output", type=Path, default=Path("outputs/franky_sim_gap"))
    args = parser.parse_args()
    if args.episodes < 1:
        parser.error("--episodes must be >= 1")
    args.output.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    seeds = episode_seeds(args.seed, EVAL_SEEDS, 0, args.episodes)
    result = {
        "episodes": args.episodes,
        "seed": args.seed,
        "seeds": [int(s) for s in seeds],
        "relative_dynamics_factor": args.relative_dynamics_factor,
        "part_poses": args.part_poses,
        "training_simulator": training_sim(seeds),
    }
    for controller in args.controllers:
        t0 = time.perf_counter()
        result[f"bench_{controller}"] = bench(
            seeds, controller, args.output, args.relative_dynamics_factor, args.part_poses
        )
        result[f"bench_{controller}"]["wall_s"] = round(time.perf_counter() - t0, 1)
        (args.output / "summary.json").write_text(json.dumps(result, indent=1))  # kept if a later one fails
    result["wall_s"] = round(time.perf_counter() - start, 1)
    (args.output / "summary.json").write_text(json.dumps(result, indent=1))
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()

"""The real-robot stack, closed loop against a simulated FR3: N evaluation episodes; prints one JSON object.

The franky-sim bench (`lerobot_resip.robots.franka.franky_sim_bench`) runs the FR3 in MuJoCo behind the
libfranka protocol, with peg_in_hole's parts (the training simulator's geometry and contact parameters,
AprilTags on them) and the task's three tag cameras. The real-robot command then runs unchanged but for the
robot's address and the cameras (`mujoco_sim` renders the bench's cameras instead of a RealSense):

    python -m lerobot_resip.scripts.rollout  (= lerobot-resip-rollout) --strategy.type=episodic
        --robot.type=franka ... --robot.task=peg_in_hole --robot.tag_calibration=<the bench's cameras>
        --scene_reset=lerobot_resip.robots.franka.franky_sim_bench:reset_bench_parts --seed=<seed>

so the parts' poses come from the tag estimator, success from the tag-based assembly check, and every
episode starts from the part placement `lerobot-resip-eval --seed=<seed>` gives the same episode in the
training simulator. The bench also records whether the parts were truly assembled at the end of every
episode (after the hand let go and the arm went home).

`--policy` takes a resip checkpoint, or a diffusion base, which is run as `lerobot-resip-eval` runs one: a
resip policy with a zero residual and the deterministic base (`--base_noise_scale`, 0 by default).
`--sim_eval` takes a `lerobot-resip-eval` JSON of the same policy and seed, to compare episode by episode.
`--part_poses=true` is a diagnosis: the robot reads the parts' true poses from the bench instead of the tag
estimates, and renders one 64 x 48 camera instead of three large ones, so that neither the tags' errors nor
the time spent rendering and detecting them (the observation-to-target latency) remain: what is left is
what the arm and the contacts cost.

Usage: python benchmarks/franky_sim_closed_loop.py --policy <checkpoint> [--episodes 20] [--seed 1000]
           [--output outputs/franky_sim_closed_loop] [--controller impedance] [--sim_eval eval.json]
           [--part_poses tags|true] [--time_factor 1.0] [--wait_for_gripper true|false]
           [--robot_arg=--robot.<field>=<value> ...]

On a machine that needs more than 0.1 s of wall clock per control step (rendering three cameras at 1280 x 960
and detecting the tags takes about 0.25 s on a 2-core CPU), `--time_factor` below 1 slows the robot's clock, so
that the policy still steps at 10 Hz of robot time with the observation-to-target latency of a faster machine.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from lerobot_resip.perception.tags import save_calibration
from lerobot_resip.robots.franka.franky_sim_bench import BenchConfig, FrankySimBench
from lerobot_resip.robots.franka.sim_scene import bench_calibration

REPO = Path(__file__).resolve().parents[1]
TRUE_POSES_ENV = "RESIP_BENCH_TRUE_POSES"  # the bench's socket, for --part_poses=true
TASK = "peg_in_hole"
CAMERA_SIZES = {"front": (1280, 960), "side": (1280, 960), "wrist": (640, 480)}
# With --part_poses=true no tag is read: one small camera, which the robot type requires, costs next to no
# rendering, so the observation-to-target latency is the policy's alone.
TRUE_POSES_CAMERA_SIZES = {"front": (64, 48)}


def as_resip_checkpoint(policy: Path, out: Path, base_noise_scale: float) -> Path:
    """A resip checkpoint as is; a diffusion base saved as a zero-residual resip checkpoint in `out`."""
    config = json.loads((policy / "config.json").read_text())
    if config.get("type") == "resip":
        return policy
    if config.get("type") != "diffusion":
        raise SystemExit(f"--policy {policy} is a {config.get('type')!r} checkpoint; give a resip or diffusion one")
    from lerobot_resip.policies.resip import ResipConfig, ResipPolicy, make_resip_pre_post_processors

    cfg = ResipConfig(base_path=str(policy), base_noise_scale=base_noise_scale, device="cpu", push_to_hub=False)
    resip = ResipPolicy(cfg)
    pre, post = make_resip_pre_post_processors(cfg)
    out.mkdir(parents=True, exist_ok=True)
    resip.save_pretrained(out)
    pre.save_pretrained(out)
    post.save_pretrained(out)
    return out


def rollout_with_true_poses() -> None:
    """`lerobot-resip-rollout` whose robot gets the parts' true poses from the bench in place of the tag
    estimates (`--part_poses=true`)."""
    from lerobot_resip.envs.rotation import quat_to_matrix
    from lerobot_resip.perception import tags
    from lerobot_resip.robots.franka.franky_sim_bench import BenchClient
    from lerobot_resip.scripts import rollout

    client = BenchClient(os.environ[TRUE_POSES_ENV])

    def estimate(self, images, tool_pose=None):
        return {part: (pos, quat_to_matrix(quat)) for part, (pos, quat) in client.part_poses().items()}

    tags.TagPoseEstimator.estimate = estimate
    rollout.main()


def camera_sizes(part_poses: str) -> dict[str, tuple[int, int]]:
    return TRUE_POSES_CAMERA_SIZES if part_poses == "true" else CAMERA_SIZES


def rollout_command(args, bench, checkpoint: Path, calibration: Path, out: Path) -> list[str]:
    cameras = ", ".join(
        f"{name}: {{type: mujoco_sim, bench_address: {bench.address}, camera: {name}, width: {w}, height: {h}, fps: 10}}"
        for name, (w, h) in camera_sizes(args.part_poses).items()
    )
    if args.part_poses == "true":
        entry = ["-c", "from benchmarks.franky_sim_closed_loop import rollout_with_true_poses as r; r()"]
    else:
        entry = ["-m", "lerobot_resip.scripts.rollout"]
    return [
        sys.executable,
        *entry,
        "--strategy.type=episodic",
        f"--policy.path={checkpoint}",
        "--device=cpu",
        "--robot.type=franka",
        f"--robot.robot_ip={bench.hostname}",
        f"--robot.controller={args.controller}",
        "--robot.enforce_realtime=false",
        "--robot.sync_to_robot_clock=true",
        f"--robot.wait_for_gripper={args.wait_for_gripper}",
        *args.robot_arg,
        "--robot.image_observations=false",
        f"--robot.task={TASK}",
        f"--robot.tag_calibration={calibration}",
        f"--robot.cameras={{{cameras}}}",
        f"--robot.calibration_dir={out / 'calibration'}",
        "--fps=10",
        "--dataset.fps=10",
        f"--dataset.repo_id=local/rollout_{TASK}_franky_sim",
        f"--dataset.root={out / 'dataset'}",
        f"--dataset.num_episodes={args.episodes}",
        f"--dataset.episode_time_s={args.episode_time_s}",
        "--dataset.reset_time_s=0",
        "--dataset.single_task=Insert the peg into the hole.",
        "--dataset.push_to_hub=false",
        "--play_sounds=false",
        "--scene_reset=lerobot_resip.robots.franka.franky_sim_bench:reset_bench_parts",
        f"--seed={args.seed}",
        f"--results_path={out / 'rollout_results.json'}",
    ]


def add_outcomes(result: dict, episodes: list[dict], dataset_root: Path) -> None:
    """Classify every recorded episode as `benchmarks/failure_modes.py` classifies the training simulator's
    (success, never_lifted, lost_after_lift, missed_hole), from the part poses the robot observed (the tag
    estimates, or the true poses with --part_poses=true), and add each episode's final peg-hole offset."""
    from lerobot.datasets import LeRobotDataset

    from lerobot_resip.envs.tasks import get_task
    from lerobot_resip.rl.failure_modes import classify

    dataset = LeRobotDataset(f"local/rollout_{TASK}_franky_sim", root=dataset_root)
    frames = dataset.hf_dataset.with_format("numpy")
    state, episode_index = np.stack(frames["observation.state"]), np.asarray(frames["episode_index"])
    parts = state[:, 16:30]  # peg then hole: position and quaternion, the policy's frame
    ids = sorted(set(episode_index.tolist()))[: len(episodes)]
    final = np.stack([parts[episode_index == i][-1] for i in ids])
    rise = np.array([parts[episode_index == i][:, 2].max() for i in ids]) - get_task(TASK).resets["peg"].z
    success = np.array([e["truly_assembled"] for e in episodes[: len(ids)]], dtype=bool)
    outcome, offset = classify(final, rise, success)
    result["outcomes"] = {k: outcome.count(k) for k in ("success", "never_lifted", "lost_after_lift", "missed_hole")}
    for record, kind, xy, up in zip(episodes, outcome, offset, rise, strict=False):
        record.update(
            outcome=kind,
            final_peg_hole_xy_mm=[round(1000 * float(v), 1) for v in xy],
            peg_rise_mm=round(1000 * float(up), 1),
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--policy", type=Path, required=True)
    parser.add_argument("--episodes", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1000)
    parser.add_argument("--episode_time_s", type=float, default=20.0)
    parser.add_argument("--controller", choices=("impedance", "position"), default="impedance")
    parser.add_argument("--base_noise_scale", type=float, default=0.0)
    parser.add_argument("--sim_eval", type=Path, default=None)
    parser.add_argument("--part_poses", choices=("tags", "true"), default="tags")
    parser.add_argument(
        "--wait_for_gripper",
        choices=("true", "false"),
        default="true",
        help="the robot's --robot.wait_for_gripper: hold the arm while the hand closes or opens",
    )
    parser.add_argument(
        "--robot_arg",
        action="append",
        default=[],
        help="one more flag for the robot, as `--robot_arg=--robot.rotational_stiffness=200` (repeatable)",
    )
    parser.add_argument(
        "--grasp_force_control",
        choices=("true", "false"),
        default="true",
        help="the bench's hand squeezes with the commanded grasp force, as a Franka Hand does (false: franky-sim's "
        "hand, 10 N per finger on the peg whatever the force)",
    )
    parser.add_argument("--output", type=Path, default=Path("outputs/franky_sim_closed_loop"))
    parser.add_argument(
        "--time_factor",
        type=float,
        default=1.0,
        help="robot seconds per wall-clock second (below 1: a slower robot clock, for a machine that cannot "
        "render and detect the tags within the 0.1 s control period)",
    )
    args = parser.parse_args()
    if not (args.policy / "config.json").is_file():
        parser.error(f"--policy {args.policy} is not a checkpoint directory (no config.json)")
    if args.episodes < 1:
        parser.error("--episodes must be >= 1")
    if not 0 < args.time_factor <= 1:
        parser.error("--time_factor must be in (0, 1]")
    out = args.output.resolve()
    if (out / "dataset").exists():
        parser.error(f"{out / 'dataset'} exists: give a fresh --output")
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    checkpoint = as_resip_checkpoint(args.policy.resolve(), out / "policy", args.base_noise_scale)

    bench_config = BenchConfig(
        task=TASK, time_factor=args.time_factor, grasp_force_control=args.grasp_force_control == "true"
    )
    with FrankySimBench(bench_config) as bench:
        client = bench.client()
        _, qpos = client.state()
        calibration = out / "bench_cameras.json"
        save_calibration(calibration, bench_calibration(client.model_xml(), qpos, camera_sizes(args.part_poses)))
        command = rollout_command(args, bench, checkpoint, calibration, out)
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "MUJOCO_GL": os.environ.get("MUJOCO_GL", "egl")}
        env[TRUE_POSES_ENV] = bench.address
        with open(out / "rollout.log", "w") as log:
            rc = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=REPO).returncode
        history = client.history()
        final_assembled = client.assembled()
        client.close()

    rollout = json.loads((out / "rollout_results.json").read_text())
    episodes = rollout["per_episode"]
    # The bench's history: entry k is the reset before episode k, and says how episode k-1 ended.
    truth = [h["assembled_before"] for h in history[1:]] + [final_assembled]
    for record, assembled in zip(episodes, truth, strict=False):
        record["truly_assembled"] = bool(assembled)
    tags = np.array([bool(e["success"]) for e in episodes], dtype=bool)
    true = np.array([e["truly_assembled"] for e in episodes], dtype=bool)
    result = {
        "policy": str(args.policy),
        "checkpoint_run": str(checkpoint),
        "episodes": len(episodes),
        "seed": args.seed,
        "controller": args.controller,
        "part_poses": args.part_poses,
        "time_factor": args.time_factor,
        "wait_for_gripper": args.wait_for_gripper == "true",
        "robot_args": args.robot_arg,
        "grasp_force_control": args.grasp_force_control == "true",
        "rollout_exit_code": rc,
        "success_rate_tags": float(tags.mean()) if len(tags) else 0.0,
        "success_ci95_tags": rollout["success_ci95"],
        "success_rate_true": float(true.mean()) if len(true) else 0.0,
        "tags_agree_with_truth": int((tags == true).sum()),
        "ends": {end: sum(e["end"] == end for e in episodes) for end in sorted({e["end"] for e in episodes})},
        "mean_steps": float(np.mean([e["steps"] for e in episodes])) if episodes else 0.0,
        "wall_ms_per_step": float(np.mean([e["ms_per_step"] for e in episodes])) if episodes else 0.0,
        "robot_period_ms": float(np.mean([e.get("period_ms", np.nan) for e in episodes])) if episodes else 0.0,
        "robot_latency_ms": float(np.mean([e.get("latency_ms", np.nan) for e in episodes])) if episodes else 0.0,
        "rollout_wall_s": rollout["wall_s"],
        "wall_s": round(time.perf_counter() - start, 1),
    }
    if rollout.get("error"):
        result["rollout_error"] = rollout["error"]
    if args.sim_eval is not None and episodes:
        sim = json.loads(args.sim_eval.read_text())
        seeds = [int(s) for s in sim["seeds"]]
        by_seed = dict(zip(seeds, sim["success"], strict=True))
        sim_success = [by_seed.get(e["seed"]) for e in episodes]
        if None in sim_success:
            raise SystemExit(f"--sim_eval {args.sim_eval} has not every episode seed; evaluate with --seed={args.seed}")
        sim_arr = np.array(sim_success, dtype=bool)
        result["sim_success_rate_same_seeds"] = float(sim_arr.mean())
        result["sim_vs_true"] = {
            "both": int((sim_arr & true).sum()),
            "sim_only": int((sim_arr & ~true).sum()),
            "bench_only": int((~sim_arr & true).sum()),
            "neither": int((~sim_arr & ~true).sum()),
        }
        for record, s in zip(episodes, sim_success, strict=True):
            record["sim_success"] = bool(s)
    add_outcomes(result, episodes, out / "dataset")
    result["per_episode"] = episodes
    (out / "summary.json").write_text(json.dumps(result, indent=1))
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()

"""Physics blow-up rate of a policy's rollouts in peg_in_hole, with a diagnosis of every blow-up.

Runs `--episodes` seeded episodes of a checkpoint (a diffusion base, run as a ResiP policy whose
residual is exactly zero, or a resip checkpoint) `--num-envs` at a time, with the residual's mean
(`--residual mean`, as the evaluations) or a sample (`--residual sample`, as PPO's training
rollouts), for `--episode-length` control steps (120 = PPO training), and counts the episodes that
ended in a physics blow-up (`info["physics_unstable"]`). Every blow-up is then re-simulated alone
from its seed and recorded actions, its last control step one physics substep at a time, to report:
the control step; the expert-like phase (gripper commanded closed, opening, peg in hand, peg near
the hole); the contacts at the last good state (geom pair, depth, normal force); the commanded
action jump and the command's distance from the tool; which check fired (SimulationError, non-finite
state, or a speed above MAX_SPEED, with the fastest degree of freedom and the substep); and the
largest speed and joint-target jump. Prints one JSON object: the rate and its 95% Wilson interval,
counts by check, contact pair and phase, and the list of blow-ups.

Episode seeds are `episode_seeds(--seed, stream 0, k)` as in PPO training; batch b's sampling
generator (base noise, residual samples) is seeded with (--seed, b): the same arguments give the
same numbers. `--save-dir` keeps each blow-up's (seed, actions) as an .npz for replay.

Example (the ResiP-like measurement of docs/results/blowups):
    python benchmarks/blowup_rate.py --policy /path/to/resip/pretrained_model --residual sample \
        --episodes 1024 --num-envs 64 --episode-length 120
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import time
from collections import Counter
from pathlib import Path

import mujoco
import numpy as np
import torch

from lerobot_resip.envs.rotation import matrix_from_rot6d
from lerobot_resip.envs.sim import GRIPPER_OPEN, MAX_SPEED, BatchedAssemblySim
from lerobot_resip.rl.rollout import PolicyIO, wilson_interval
from lerobot_resip.rl.runtime import (
    TRAIN_SEEDS,
    checkpoint_type,
    episode_seeds,
    load_policy,
    resolve_policy_config,
)

# The README pipeline's settings of the base inside ResiP (scripts/run_demo.sh).
BASE_OVERRIDES = ["--base_num_inference_steps=4", "--base_noise_scale=0", "--task_features=peg_in_hole"]


def make_sim(num_envs: int, episode_length: int, clearance_mm: float, randomness: str, threads: int):
    return BatchedAssemblySim("peg_in_hole", num_envs, randomness=randomness, clearance=clearance_mm / 1000,
                              max_episode_steps=episode_length, num_threads=threads)


def rollout_batch(policy, io, sim, seeds, generator, deterministic):
    """One episode per env; returns (actions (T, N, 10), active (T, N), blow-up step per env or -1)."""
    n = sim.num_envs
    obs = sim.reset(seeds=seeds)
    policy.reset()
    done = np.zeros(n, dtype=bool)
    blown = np.full(n, -1)
    actions, actives = [], []
    for t in range(sim.max_episode_steps):
        step = policy.act(io.batch(obs), deterministic=deterministic, generator=generator,
                          active=torch.as_tensor(~done))
        action = io.env_action(step.action).astype(np.float64)
        actions.append(action)
        actives.append(~done)
        obs, _, terminated, truncated, info = sim.step(action, active=~done)
        ended = ~done & (terminated | truncated)
        blown[ended & info["physics_unstable"]] = t
        done |= ended
        if done.all():
            break
    return np.stack(actions), np.stack(actives), blown


# ------------------------------------------------------------------------------------------- diagnosis


def contacts(model: mujoco.MjModel, data: mujoco.MjData) -> list[dict]:
    """Geom pair, penetration depth (mm) and normal force (N) of every active contact."""
    out, force = [], np.zeros(6)
    for i, c in enumerate(data.contact[: data.ncon]):
        if c.efc_address < 0:
            continue
        mujoco.mj_contactForce(model, data, i, force)
        names = sorted((model.geom(int(c.geom1)).name, model.geom(int(c.geom2)).name))
        out.append({"pair": "/".join(names), "depth_mm": round(-1000 * float(c.dist), 3),
                    "normal_N": round(float(force[0]), 2)})
    return out


def phase(sim: BatchedAssemblySim, action: np.ndarray, cons: list[dict]) -> dict:
    """Expert-like phase of env 0 of `sim` at its current state, under the command `action`."""
    m = sim.model
    tcp = sim._site_xpos[0, sim._tcp]
    tcp_rot = sim._site_xmat[0, sim._tcp].reshape(3, 3)
    peg = sim._xpos[0, m.body("peg").id]
    hole = sim._xpos[0, m.body("hole").id]
    opening = float(sim._qpos[0, sim._finger_qpos].sum())
    peg_in_tool = tcp_rot.T @ (peg - tcp)
    pads_on_peg = {p for c in cons for p in ("left_pad", "right_pad") if p in c["pair"] and "peg" in c["pair"]}
    horizontal = float(np.linalg.norm(peg[:2] - hole[:2]))
    return {
        "gripper_commanded_closed": bool(action[9] > 0),
        "opening_mm": round(1000 * opening, 2),
        "peg_in_hand": len(pads_on_peg) == 2,
        "peg_in_tool_frame_mm": np.round(1000 * peg_in_tool, 1).tolist(),
        "peg_hole_horizontal_mm": round(1000 * horizontal, 1),
        "peg_height_over_hole_mm": round(1000 * float(peg[2] - hole[2]), 1),
        "near_hole": bool(horizontal < 0.03 and peg[2] - hole[2] < 0.08),
        "tcp_height_mm": round(1000 * float(tcp[2]), 1),
    }


def rotation_angle_deg(a: np.ndarray, b: np.ndarray) -> float:
    cos = (np.trace(a.T @ b) - 1) / 2
    return float(np.degrees(np.arccos(np.clip(cos, -1, 1))))


def dof_name(model: mujoco.MjModel, dof: int) -> str:
    joint = model.dof_jntid[dof]
    return f"{model.joint(joint).name}[{dof - model.jnt_dofadr[joint]}]"


def diagnose(sim: BatchedAssemblySim, seed: int, actions: np.ndarray) -> dict:
    """Replay an episode alone (1-env `sim`) up to its blow-up at the last of `actions`, the last
    control step one physics substep at a time; what happened and in which state."""
    m = sim.model
    sim.reset(seeds=[seed])
    for t, action in enumerate(actions[:-1]):
        _, _, term, trunc, info = sim.step(action[None])
        if info["physics_unstable"][0] or term[0]:
            return {"reproduced": False, "note": f"replay ended early at step {t}"}
    last = actions[-1]
    prev = actions[-2] if len(actions) > 1 else last
    data = sim.get_data(0)
    cons = contacts(m, data)
    report = {
        "step": len(actions) - 1,
        "phase": phase(sim, last, cons),
        "contacts_last_good_state": cons,
        "command": {
            "jump_pos_mm": round(1000 * float(np.linalg.norm(last[:3] - prev[:3])), 1),
            "jump_rot_deg": round(rotation_angle_deg(matrix_from_rot6d(last[3:9]), matrix_from_rot6d(prev[3:9])), 1),
            "gripper_flip": bool((last[9] > 0) != (prev[9] > 0)),
            "to_tool_pos_mm": round(1000 * float(np.linalg.norm(last[:3] - sim._site_xpos[0, sim._tcp])), 1),
            "to_tool_rot_deg": round(rotation_angle_deg(matrix_from_rot6d(last[3:9]),
                                                        sim._site_xmat[0, sim._tcp].reshape(3, 3)), 1),
        },
        "max_speed_before": round(float(np.abs(sim._qvel[0]).max()), 3),
    }
    # The last control step, substep by substep (a persistent batch's nstep=1 x 40 is nstep=40).
    batch_step = sim.batch.step
    trace = {"check": None, "substep": None}
    speeds: list[float] = []
    before = {"contacts": cons}

    def probe(ids=None, nstep=1, stage=0):
        for k in range(nstep):
            state_contacts = contacts(m, sim.get_data(0))
            try:
                batch_step(ids, nstep=1, stage=stage)
            except mujoco.batch.SimulationError as err:
                trace.update(check="SimulationError", substep=k, message=str(err)[:300])
                before["contacts"] = state_contacts
                raise
            qvel = sim._qvel[0]
            finite = np.isfinite(sim._qpos[0]).all() and np.isfinite(qvel).all()
            speed = float(np.abs(qvel).max()) if finite else float("inf")
            speeds.append(speed)
            if not finite or speed > MAX_SPEED:
                dof = int(np.nanargmax(np.abs(np.where(np.isfinite(qvel), qvel, np.inf))))
                trace.update(check="speed" if finite else "non-finite", substep=k, dof=dof_name(m, dof),
                             speed=round(speed, 2))
                before["contacts"] = state_contacts
                return

    targets = sim._joint_targets(last[None])[0]  # what the step will command the arm's PD
    report["joint_target_minus_qpos_rad"] = np.round(targets - sim._qpos[0, sim._arm_qpos], 4).tolist()
    sim.batch.step = probe
    try:
        _, _, _, _, info = sim.step(last[None])
    finally:
        sim.batch.step = batch_step
    report.update(trace)
    report["reproduced"] = bool(info["physics_unstable"][0])
    report["contacts_last_good_substep"] = before["contacts"]
    report["speed_by_substep"] = [round(s, 2) for s in speeds]
    return report


# ------------------------------------------------------------------------------------------- main


def git_commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              cwd=Path(__file__).parent, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def merge(paths: list[str]) -> dict:
    """One result from the JSON outputs of runs over disjoint parts of a seed stream."""
    parts = [json.loads(Path(p).read_text()) for p in paths]
    n, k = sum(p["episodes"] for p in parts), sum(p["blowups"] for p in parts)
    low, high = wilson_interval(k, n)
    total = {"parts": [{"file": str(p), "first_episode": q["args"]["first_episode"], "episodes": q["episodes"],
                        "blowups": q["blowups"], "commit": q["commit"]} for p, q in zip(paths, parts, strict=True)],
             "policy": parts[0]["policy"], "residual": parts[0]["residual"], "episodes": n,
             "episode_length": parts[0]["episode_length"], "env_steps": sum(p["env_steps"] for p in parts),
             "blowups": k, "rate": k / max(n, 1), "rate_ci95": [low, high]}
    for key in ("by_check", "by_contact_pair", "by_phase"):
        total[key] = dict(sum((Counter(p[key]) for p in parts), Counter()))
    total["blowup_list"] = [b for p in parts for b in p["blowup_list"]]
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--merge", nargs="+", default=None, help="merge these outputs of earlier runs instead")
    parser.add_argument("--policy", default=None, help="diffusion or resip checkpoint (pretrained_model)")
    parser.add_argument("--base", default=None, help="base checkpoint of a resip checkpoint (its base_path)")
    parser.add_argument("--residual", choices=("mean", "sample"), default="mean")
    parser.add_argument("--episodes", type=int, default=1024)
    parser.add_argument("--num-envs", type=int, default=64)
    parser.add_argument("--episode-length", type=int, default=120)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--first-episode", type=int, default=0, help="start of the seed stream (to split a run)")
    parser.add_argument("--randomness", default="low")
    parser.add_argument("--clearance-mm", type=float, default=0.5)
    parser.add_argument("--threads", type=int, default=2, help="physics and torch threads")
    parser.add_argument("--save-dir", default=None, help="keep each blow-up's (seed, actions) as .npz here")
    parser.add_argument("--output", default=None, help="also write the JSON here")
    args = parser.parse_args()
    if args.merge:
        print(json.dumps(merge(args.merge)))
        return
    if not args.policy:
        parser.error("--policy is required")

    torch.set_num_threads(args.threads)
    kind = checkpoint_type(args.policy)
    overrides = list(BASE_OVERRIDES) if kind == "diffusion" else []
    if kind == "resip" and args.base:
        overrides.append(f"--base_path={args.base}")
    cfg = resolve_policy_config(args.policy, overrides)
    cfg.device = "cpu"
    policy, pre, post = load_policy(cfg)
    policy.eval()
    io = PolicyIO(pre, post)
    sim = make_sim(args.num_envs, args.episode_length, args.clearance_mm, args.randomness, args.threads)
    solo = make_sim(1, args.episode_length, args.clearance_mm, args.randomness, 1)
    seeds = episode_seeds(args.seed, TRAIN_SEEDS, args.first_episode, args.episodes)

    start = time.perf_counter()
    blowups, env_steps = [], 0
    for b, first in enumerate(range(0, args.episodes, args.num_envs)):
        chunk = seeds[first : first + args.num_envs]
        padded = np.concatenate([chunk, chunk[-1:].repeat(args.num_envs - len(chunk))])
        gen = torch.Generator().manual_seed(int(np.random.SeedSequence([args.seed, args.first_episode + first])
                                                .generate_state(1)[0]))
        actions, active, blown = rollout_batch(policy, io, sim, padded, gen, args.residual == "mean")
        env_steps += int(active[:, : len(chunk)].sum())
        for i in np.flatnonzero(blown[: len(chunk)] >= 0):
            seq = actions[: blown[i] + 1, i]
            record = {"episode": args.first_episode + first + int(i), "seed": int(chunk[i])}
            record.update(diagnose(solo, int(chunk[i]), seq))
            blowups.append(record)
            if args.save_dir:
                os.makedirs(args.save_dir, exist_ok=True)
                np.savez_compressed(Path(args.save_dir) / f"blowup_seed{int(chunk[i])}.npz", seed=int(chunk[i]),
                                    actions=seq.astype(np.float64), episode_length=args.episode_length,
                                    clearance_mm=args.clearance_mm, randomness=args.randomness)
        print(json.dumps({"batch": b, "episodes_done": first + len(chunk), "blowups": len(blowups),
                          "elapsed_s": round(time.perf_counter() - start, 1)}), flush=True)

    n, k = args.episodes, len(blowups)
    low, high = wilson_interval(k, n)
    result = {
        "policy": args.policy, "kind": kind, "residual": args.residual if kind == "resip" else "zero (base)",
        "episodes": n, "episode_length": args.episode_length, "env_steps": env_steps,
        "blowups": k, "rate": k / n, "rate_ci95": [low, high],
        "by_check": dict(Counter(str(r.get("check")) for r in blowups)),
        "by_contact_pair": dict(Counter(c["pair"] for r in blowups
                                        for c in r.get("contacts_last_good_substep", []))),
        "by_phase": dict(Counter(
            f"closed={r['phase']['gripper_commanded_closed']},in_hand={r['phase']['peg_in_hand']},"
            f"near_hole={r['phase']['near_hole']}" for r in blowups if "phase" in r)),
        "reproduced_alone": sum(bool(r.get("reproduced")) for r in blowups),
        "blowup_list": blowups,
        "args": vars(args), "commit": git_commit(), "date": datetime.date.today().isoformat(),
        "wall_s": round(time.perf_counter() - start, 1), "max_speed": MAX_SPEED, "gripper_open": GRIPPER_OPEN,
    }
    text = json.dumps(result)
    if args.output:
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        Path(args.output).write_text(json.dumps(result, indent=1) + "\n")
    print(text)


if __name__ == "__main__":
    main()

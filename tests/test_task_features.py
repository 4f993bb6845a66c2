"""`--policy.task_features`: the residual's task-space inputs are the offsets the sim really has, a
fresh policy with them still acts like its base, and its checkpoints carry the statistics they need."""

import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from lerobot.utils.constants import ACTION, OBS_ENV_STATE, OBS_STATE
from resip_fixtures import make_tiny_base
from safetensors.torch import load_file, save_file

from lerobot_resip.envs.rotation import quat_to_matrix
from lerobot_resip.envs.scenes import PEG_HALF_LENGTH
from lerobot_resip.envs.sim import BatchedAssemblySim
from lerobot_resip.policies.resip import ResipConfig, ResipPolicy, make_resip_pre_post_processors
from lerobot_resip.rl.rollout import PolicyIO


@pytest.fixture(scope="module")
def base_dir(tmp_path_factory) -> Path:
    return make_tiny_base(tmp_path_factory.mktemp("tiny_base"))


def make_policy(base_dir: Path, **overrides) -> ResipPolicy:
    return ResipPolicy(
        ResipConfig(base_path=str(base_dir), device="cpu", push_to_hub=False, task_features="peg_in_hole", **overrides)
    )


def test_features_are_the_sims_offsets_in_cm(base_dir):
    policy = make_policy(base_dir)
    pre, post = make_resip_pre_post_processors(policy.config)
    io = PolicyIO(pre, post)
    sim = BatchedAssemblySim("peg_in_hole", num_envs=8, seed=3, num_threads=1)
    obs = sim.reset()
    tool = obs["agent_pos"][:, :3]
    target = tool + np.random.default_rng(0).uniform(-0.02, 0.02, (8, 3))  # commanded tool position, m
    action = np.concatenate([target, obs["agent_pos"][:, 3:9], np.ones((8, 1))], axis=1).astype(np.float32)
    normalized_action = pre(
        {OBS_STATE: torch.zeros(8, 16), OBS_ENV_STATE: torch.zeros(8, 14), ACTION: torch.as_tensor(action)}
    )[ACTION]
    batch = io.batch(obs)

    features = policy.task_features(batch[OBS_STATE], batch[OBS_ENV_STATE], normalized_action)

    peg, hole = obs["environment_state"][:, 0:3], obs["environment_state"][:, 7:14]
    goal = hole[:, :3] + quat_to_matrix(hole[:, 3:]) @ np.array([0.0, 0.0, PEG_HALF_LENGTH])
    expected = 100 * np.concatenate([goal - peg, (target - tool)[:, :2]], axis=1)
    np.testing.assert_allclose(features.numpy(), np.clip(expected, -10, 10), atol=0.02)  # 0.2 mm (float32)
    assert (np.abs(expected[:, :2]) > 10).any()  # the peg starts ~27 cm from the hole: clipping is exercised
    assert np.abs(expected[:, 3:]).max() < 10


def test_fresh_policy_with_task_features_acts_like_its_base(base_dir):
    policy = make_policy(base_dir)
    plain = ResipPolicy(ResipConfig(base_path=str(base_dir), device="cpu", push_to_hub=False))
    assert policy.residual.mean[0].in_features == plain.residual.mean[0].in_features + 5
    assert policy.critic.net[0].in_features == policy.residual.mean[0].in_features
    batch = {OBS_STATE: torch.rand(4, 16) * 2 - 1, OBS_ENV_STATE: torch.rand(4, 14) * 2 - 1}
    torch.manual_seed(0)
    base_action = policy.base_action(batch)
    policy.reset()
    torch.manual_seed(0)
    assert torch.equal(policy.select_action(batch), base_action)


def save(policy: ResipPolicy, out: Path) -> Path:
    pre, post = make_resip_pre_post_processors(policy.config)
    for item in (policy, pre, post):
        item.save_pretrained(out)
    return out


def test_checkpoint_holds_the_statistics_and_rejects_others(tmp_path, base_dir):
    policy = make_policy(base_dir)
    with torch.no_grad():
        for p in policy.residual.parameters():
            p.add_(0.05 * torch.randn_like(p))
    ckpt = save(policy, tmp_path / "resip")
    base_stats = load_file(base_dir / "policy_preprocessor_step_3_normalizer_processor.safetensors")
    weights = load_file(ckpt / "model.safetensors")
    assert torch.equal(weights["task_features.env_min"], base_stats[f"{OBS_ENV_STATE}.min"])

    loaded = ResipPolicy.from_pretrained(ckpt)
    assert loaded.config.task_features == "peg_in_hole"
    batch = {OBS_STATE: torch.rand(3, 16) * 2 - 1, OBS_ENV_STATE: torch.rand(3, 14) * 2 - 1}
    for step in range(3):
        torch.manual_seed(step)
        a = policy.select_action(batch)
        torch.manual_seed(step)
        assert torch.equal(a, loaded.select_action(batch))

    # A preprocessor from another run (other statistics) beside these weights is refused.
    other = tmp_path / "other"
    shutil.copytree(ckpt, other)
    stats_file = next(other.glob("policy_preprocessor_step_*_normalizer_processor.safetensors"))
    stats = load_file(stats_file)
    stats[f"{OBS_ENV_STATE}.max"] = stats[f"{OBS_ENV_STATE}.max"] + 0.1
    save_file(stats, stats_file)
    with pytest.raises(ValueError, match="other statistics") as excinfo:
        ResipPolicy.from_pretrained(other)
    assert "\n" not in str(excinfo.value)


def test_unknown_task_or_wrong_env_state_is_one_line_error(tmp_path, base_dir):
    with pytest.raises(ValueError, match="unknown task 'nope'") as excinfo:
        ResipConfig(base_path=str(base_dir), device="cpu", task_features="nope")
    assert "\n" not in str(excinfo.value)
    from lerobot_resip.policies.resip.task_features import TaskFeatures

    with pytest.raises(ValueError, match="needs observation.environment_state of 14") as excinfo:
        TaskFeatures("peg_in_hole", 10.0, state_dim=16, env_dim=21, action_dim=10)
    assert "\n" not in str(excinfo.value)


def test_a_child_that_fits_several_places_is_measured_from_the_nearest():
    """one_leg's leg screws into any of four holes: the offset is to the hole it is over, not to hole 0
    (11 cm away in x and y, beyond the clip)."""
    from lerobot_resip.envs.scenes import ONE_LEG_THREAD
    from lerobot_resip.envs.tasks import get_task
    from lerobot_resip.policies.resip.task_features import TaskFeatures

    parts = get_task("one_leg").parts
    features = TaskFeatures("one_leg", 10.0, state_dim=16, env_dim=7 * len(parts), action_dim=10)
    features.set_stats({key: {"min": -torch.ones(dim), "max": torch.ones(dim)}  # normalized == raw
                        for key, dim in ((OBS_STATE, 16), (OBS_ENV_STATE, 7 * len(parts)), (ACTION, 10))})
    yaw = 0.1  # rad, the top's
    top_quat = np.array([np.cos(yaw / 2), 0, 0, np.sin(yaw / 2)])
    top = np.array([0.54, 0.02, 0.0125])
    miss = np.array([0.003, -0.002, 0.04])  # m, the leg above a hole's seat, a little off its axis
    poses = np.tile([0, 0, 0, 1, 0, 0, 0], (len(parts), 1)).astype(float)
    poses[parts.index("square_table_top")] = [*top, *top_quat]
    for hole in (2, 1):
        seat = top + quat_to_matrix(top_quat[None])[0] @ np.array(ONE_LEG_THREAD.seats[hole])
        poses[parts.index("square_table_leg4"), :3] = seat + miss
        env_state = torch.as_tensor(poses.reshape(1, -1), dtype=torch.float32)

        offset = features(torch.zeros(1, 16), env_state, torch.zeros(1, 10))[0, :3]

        np.testing.assert_allclose(offset.numpy(), -100 * miss, atol=1e-4)


def _identity_stats(policy: ResipPolicy) -> None:
    """Normalized inputs read as raw ones, so a test can place the parts in metres."""
    policy.task_features.set_stats({key: {"min": -torch.ones(dim), "max": torch.ones(dim)}
                                    for key, dim in ((OBS_STATE, 16), (OBS_ENV_STATE, 14), (ACTION, 10))})


def test_the_gate_lets_the_residual_act_only_on_the_approach_to_the_hole(base_dir):
    """`residual_gate_cm=(1, 2, 6)`: the residual acts while the peg is within 1 cm of the hole's axis and 2-6 cm
    above its assembled position; elsewhere the executed action is the base's exactly."""
    policy = make_policy(base_dir, residual_gate_cm=(1.0, 2.0, 6.0))
    _identity_stats(policy)
    with torch.no_grad():
        policy.residual.mean[-1].weight.normal_(std=0.5, generator=torch.Generator().manual_seed(0))  # a residual that moves actions
    above_seat = np.array([[0.003, 0.0, 0.04],  # on the approach: acts
                           [0.02, 0.0, 0.04],  # 2 cm off the axis
                           [0.0, 0.0, 0.01],  # 1 cm above the seat: in the hole
                           [0.0, 0.0, 0.07]])  # 7 cm above
    env_state = np.tile([0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0], (4, 1)).astype(np.float32)  # hole at 0
    env_state[:, :3] = above_seat + [0, 0, PEG_HALF_LENGTH]
    batch = {OBS_STATE: torch.zeros(4, 16), OBS_ENV_STATE: torch.as_tensor(env_state)}

    step = policy.act(batch)

    assert step.acted.tolist() == [True, False, False, False]
    torch.testing.assert_close(step.action[:1], policy.combine(step.base_action, step.residual)[:1])
    assert not torch.equal(step.action[0], step.base_action[0])
    assert torch.equal(step.action[1:], step.base_action[1:])
    plain = make_policy(base_dir)
    assert plain.act(batch).acted.all()  # no gate: the paper's residual, everywhere


@pytest.mark.parametrize("gate, fragment", [((1.0, 2.0), "[radius, low, high]"), ((0.0, 1.0, 2.0), "radius > 0"),
                                            ((1.0, 3.0, 2.0), "low < high")])
def test_bad_gate_is_one_line_error(base_dir, gate, fragment):
    with pytest.raises(ValueError) as excinfo:
        make_policy(base_dir, residual_gate_cm=gate)
    assert "\n" not in str(excinfo.value) and "residual_gate_cm" in str(excinfo.value)
    assert fragment in str(excinfo.value)


def test_a_gate_without_task_features_is_one_line_error(base_dir):
    with pytest.raises(ValueError, match="needs `task_features`") as excinfo:
        ResipConfig(base_path=str(base_dir), device="cpu", residual_gate_cm=(1.0, 2.0, 6.0))
    assert "\n" not in str(excinfo.value)


def test_an_actor_on_the_task_features_only_ignores_every_other_input_and_survives_save_load(tmp_path, base_dir):
    """`residual_inputs=task_features`: the actor's mean depends on the task-space offsets only; the critic
    still sees every input."""
    policy = make_policy(base_dir, residual_inputs="task_features")
    _identity_stats(policy)
    assert policy.residual.mean[0].in_features == policy.task_features.dim == 5
    assert policy.critic.net[0].in_features > policy.task_features.dim
    with torch.no_grad():
        policy.residual.mean[-1].weight.normal_(std=0.5, generator=torch.Generator().manual_seed(0))
        policy.critic.net[-1].weight.normal_(std=0.5, generator=torch.Generator().manual_seed(1))
    batch = {OBS_STATE: torch.zeros(2, 16), OBS_ENV_STATE: torch.zeros(2, 14)}
    batch[OBS_ENV_STATE][1, 3:7] = 0.5  # the peg's orientation: not a task feature
    batch[OBS_STATE][1, 9:] = 0.5  # the gripper and the rest of the state past the tool's pose
    base_action = torch.zeros(2, 10)
    inputs = policy.residual_input(batch, base_action)
    features = policy.task_features(batch[OBS_STATE], batch[OBS_ENV_STATE], base_action)
    assert not torch.equal(inputs[0], inputs[1])
    torch.testing.assert_close(features[1], features[0])

    mean = policy.residual_distribution(inputs).mean
    assert mean.abs().sum() > 0
    torch.testing.assert_close(mean[1], mean[0])
    assert policy.value(inputs)[0] != policy.value(inputs)[1]

    policy.save_pretrained(tmp_path / "resip")
    loaded = ResipPolicy.from_pretrained(tmp_path / "resip")
    assert loaded.config.residual_inputs == "task_features"
    torch.testing.assert_close(loaded.residual_distribution(inputs).mean, mean)


@pytest.mark.parametrize("overrides, fragment", [({"residual_inputs": "state"}, "'all' or 'task_features'"),
                                                 ({"residual_inputs": "task_features", "task_features": None},
                                                  "needs `task_features`")])
def test_bad_residual_inputs_is_one_line_error(base_dir, overrides, fragment):
    with pytest.raises(ValueError) as excinfo:
        ResipConfig(base_path=str(base_dir), device="cpu", **{"task_features": "peg_in_hole", **overrides})
    assert "\n" not in str(excinfo.value) and "residual_inputs" in str(excinfo.value) and fragment in str(excinfo.value)

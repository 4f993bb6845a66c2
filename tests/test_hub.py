"""Sharing on the Hub, offline: the upload is recorded (the `HfApi` calls and the files they carry),
the download resolves repo ids from a Hugging Face cache laid out locally under HF_HUB_OFFLINE=1
(the code path a user hits after a real download), and the cards parse with huggingface_hub."""

import dataclasses
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import huggingface_hub
import numpy as np
import pytest
from huggingface_hub import DatasetCard, HfApi, ModelCard
from resip_fixtures import make_tiny_base

from lerobot_resip.envs.configs import FurnitureEnvConfig
from lerobot_resip.envs.tasks import TASKS
from lerobot_resip.hub import resip_model_card
from lerobot_resip.policies.resip import ResipConfig, ResipPolicy
from lerobot_resip.rl.ppo import PPOConfig
from lerobot_resip.rl.rollout import PolicyIO
from lerobot_resip.rl.runtime import load_policy, resolve_policy_config
from lerobot_resip.scripts.collect import CollectConfig, CollectDatasetConfig, collect
from lerobot_resip.scripts.train_residual import TrainResidualConfig, train

BIN = Path(sys.executable).parent
REPO_ID = "someone/peg_in_hole_resip"
BASE_REPO_ID = "someone/peg_in_hole_dp"
DATASET_REPO_ID = "someone/peg_in_hole_demos"
COMMIT = "0123456789abcdef0123456789abcdef01234567"


class RecordedHub:
    """Stands in for the Hub: records every HfApi call and keeps a copy of each uploaded folder."""

    def __init__(self, root: Path):
        self.root = root
        self.calls: list[tuple[str, dict]] = []
        self.uploads: dict[str, Path] = {}

    def install(self, monkeypatch) -> None:
        hub = self

        def create_repo(self, repo_id, **kwargs):
            hub.calls.append(("create_repo", {"repo_id": repo_id, **kwargs}))
            return huggingface_hub.RepoUrl(f"https://huggingface.co/{repo_id}")

        def upload_folder(self, *, repo_id, folder_path, **kwargs):
            files = sorted(str(p.relative_to(folder_path)) for p in Path(folder_path).rglob("*") if p.is_file())
            hub.calls.append(("upload_folder", {"repo_id": repo_id, "files": files, **kwargs}))
            target = hub.root / repo_id
            shutil.copytree(folder_path, target, dirs_exist_ok=True)
            hub.uploads[repo_id] = target

        def upload_file(*, path_or_fileobj, path_in_repo, repo_id, **kwargs):
            hub.calls.append(("upload_file", {"repo_id": repo_id, "path_in_repo": path_in_repo, **kwargs}))
            target = hub.root / repo_id / path_in_repo
            target.parent.mkdir(parents=True, exist_ok=True)
            data = path_or_fileobj if isinstance(path_or_fileobj, bytes) else Path(path_or_fileobj).read_bytes()
            target.write_bytes(data)

        def record(name):
            return lambda self, *args, **kwargs: hub.calls.append((name, kwargs))

        monkeypatch.setattr(HfApi, "create_repo", create_repo)
        monkeypatch.setattr(HfApi, "upload_folder", upload_folder)
        monkeypatch.setattr(HfApi, "create_tag", record("create_tag"))
        monkeypatch.setattr(HfApi, "delete_tag", record("delete_tag"))
        monkeypatch.setattr(huggingface_hub.repocard, "upload_file", upload_file)
        monkeypatch.setattr(huggingface_hub.repocard.RepoCard, "validate", record("validate_card"))

    def lay_out_cache(self, repo_id: str, cache: Path) -> None:
        """The uploaded repo as `hf_hub_download` leaves it in a cache after a download."""
        repo = cache / f"models--{repo_id.replace('/', '--')}"
        shutil.copytree(self.uploads[repo_id], repo / "snapshots" / COMMIT)
        (repo / "refs").mkdir(parents=True)
        (repo / "refs" / "main").write_text(COMMIT)


def make_published_base(tmp: Path) -> Path:
    """A tiny base as `lerobot-train --policy.push_to_hub=true` leaves it: a repo id in its config and
    the dataset it was trained on in its train_config.json."""
    base = make_tiny_base(tmp)
    config = json.loads((base / "config.json").read_text())
    config["repo_id"] = BASE_REPO_ID
    (base / "config.json").write_text(json.dumps(config))
    (base / "train_config.json").write_text(json.dumps({"dataset": {"repo_id": DATASET_REPO_ID}}))
    return base


def run_cli(*args: str, env: dict) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "MUJOCO_GL": "egl", "OMP_NUM_THREADS": "1", "TQDM_DISABLE": "1",
           **env}
    return subprocess.run([str(BIN / args[0]), *args[1:]], capture_output=True, text=True, env=env, timeout=600)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One PPO iteration over a published tiny base, pushed when training ends (recorded)."""
    tmp = tmp_path_factory.mktemp("hub")
    base = make_published_base(tmp / "base")
    hub = RecordedHub(tmp / "remote")
    with pytest.MonkeyPatch.context() as monkeypatch:
        hub.install(monkeypatch)
        # The card's evaluations run at the task's own episode length (a short one here).
        monkeypatch.setitem(TASKS, "peg_in_hole", dataclasses.replace(TASKS["peg_in_hole"], episode_length=12))
        cfg = TrainResidualConfig(
            env=FurnitureEnvConfig(episode_length=8),
            policy=ResipConfig(base_path=str(base), device="cpu", push_to_hub=True, repo_id=REPO_ID,
                               base_noise_scale=0.0, task_features="peg_in_hole"),
            ppo=PPOConfig(update_epochs=2),
            num_envs=2, num_iterations=1, eval_every=1, eval_episodes=2, output_dir=tmp / "run", num_threads=1,
            push_eval_episodes=2,
        )
        train(cfg)
    return tmp / "run" / "checkpoints" / "best" / "pretrained_model", hub


def test_train_pushes_the_best_checkpoint_with_its_card(trained):
    checkpoint, hub = trained
    names = [name for name, _ in hub.calls]
    assert names == ["create_repo", "upload_folder"]  # one commit
    upload = hub.calls[1][1]
    assert upload["repo_id"] == REPO_ID
    assert {"config.json", "model.safetensors", "policy_preprocessor.json", "policy_postprocessor.json",
            "resip_train_config.json", "README.md", "eval/resip.json", "eval/resip_perturbed.json"} <= set(upload["files"])
    pushed_config = json.loads((hub.uploads[REPO_ID] / "config.json").read_text())
    assert pushed_config["repo_id"] == REPO_ID and pushed_config["push_to_hub"] is False

    card = ModelCard.load(hub.uploads[REPO_ID] / "README.md")
    assert card.data.library_name == "lerobot" and card.data.pipeline_tag == "robotics"
    assert {"resip", "lerobot", "peg_in_hole"} <= set(card.data.tags)
    assert card.data.base_model == BASE_REPO_ID
    assert card.data.datasets == [DATASET_REPO_ID]
    results = {r.dataset_name: r for r in card.data.eval_results}
    assert len(results) == 2 and {r.metric_type for r in results.values()} == {"success_rate"}
    evaluation = json.loads((hub.uploads[REPO_ID] / "eval" / "resip_perturbed.json").read_text())
    perturbed = next(r for r in results.values() if r.dataset_args["perturb"])
    assert perturbed.metric_value == pytest.approx(evaluation["success_rate"])
    assert perturbed.metric_args["episodes"] == 2 and perturbed.metric_args["ci95"] == pytest.approx(
        evaluation["success_ci95"], abs=1e-4)
    assert evaluation["env"]["episode_length"] == 12  # the task's own, not the shortened training episodes
    text = str(card)
    assert "deterministic base" in text and "task_features=peg_in_hole" in text  # departures in force
    assert "arXiv:2407.16677" in text


def test_pushed_repo_runs_by_itself_from_the_cache(trained, tmp_path, monkeypatch):
    checkpoint, hub = trained
    cache = tmp_path / "hf_cache"
    hub.lay_out_cache(REPO_ID, cache)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(cache))
    assert not Path(REPO_ID).exists()

    # Loading from the Hub gives exactly the local checkpoint's actions.
    local, pre, post = load_policy(resolve_policy_config(str(checkpoint), ["--device=cpu"]))
    remote, remote_pre, remote_post = load_policy(resolve_policy_config(REPO_ID, ["--device=cpu"]))
    rng = np.random.default_rng(0)
    obs = {"agent_pos": rng.normal(size=(4, 16)).astype(np.float32),
           "environment_state": rng.normal(size=(4, 14)).astype(np.float32)}
    actions = []
    for policy, p, q in ((local, pre, post), (remote, remote_pre, remote_post)):
        io = PolicyIO(p, q)
        policy.eval()
        actions.append(io.env_action(policy.select_action(io.batch(obs))))
    np.testing.assert_array_equal(actions[0], actions[1])

    env = {"HF_HUB_CACHE": str(cache)}
    result = run_cli("lerobot-resip-eval", f"--policy.path={REPO_ID}", "--num_episodes=1", "--num_envs=1",
                     f"--output_path={tmp_path / 'eval.json'}", env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads((tmp_path / "eval.json").read_text())["env"]["task"] == "peg_in_hole"  # from the checkpoint
    result = run_cli("lerobot-eval", f"--policy.path={REPO_ID}", "--env.type=furniture", "--env.task=peg_in_hole",
                     "--eval.n_episodes=1", "--eval.batch_size=1", "--env.episode_length=5",
                     f"--output_dir={tmp_path / 'lerobot_eval'}", env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    result = run_cli("lerobot-resip-train", f"--policy.path={REPO_ID}", "--env.type=furniture",
                     "--env.episode_length=5", "--num_envs=2", "--num_iterations=1", "--eval_episodes=2",
                     "--num_threads=1", f"--output_dir={tmp_path / 'continued'}", env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    continued = ResipPolicy.from_pretrained(str(tmp_path / "continued/checkpoints/last/pretrained_model"))
    assert continued.config.task_features == "peg_in_hole"  # the pushed policy's settings carried over


def test_push_an_existing_checkpoint_with_one_command(trained, tmp_path, monkeypatch):
    checkpoint, _ = trained
    hub = RecordedHub(tmp_path / "remote")
    hub.install(monkeypatch)
    evaluation = tmp_path / "heldout.json"
    shutil.copy(checkpoint.parent / "eval_info.json", evaluation)
    info = json.loads(evaluation.read_text())
    evaluation.write_text(json.dumps({**info, "seed": 0, "env": {"task": "peg_in_hole", "perturb": False}}))
    from lerobot_resip.scripts.push import PushConfig, push

    cfg = PushConfig(policy=resolve_policy_config(str(checkpoint), ["--repo_id=someone/other", "--private=true"]),
                     eval_paths=[evaluation])
    push(cfg)
    assert hub.calls[0] == ("create_repo", {"repo_id": "someone/other", "private": True, "exist_ok": True})
    card = ModelCard.load(hub.uploads["someone/other"] / "README.md")
    assert card.data.eval_results[0].metric_value == pytest.approx(info["success_rate"], abs=1e-4)
    assert "eval/heldout.json" in hub.calls[1][1]["files"]


def test_card_without_a_published_base_or_evaluations_still_parses(tmp_path):
    config = ResipConfig(base_path=str(make_tiny_base(tmp_path)), device="cpu", push_to_hub=False)
    card = resip_model_card(config, REPO_ID)
    card.save(tmp_path / "README.md")
    parsed = ModelCard.load(tmp_path / "README.md")
    assert parsed.data.base_model is None and parsed.data.datasets is None and not parsed.data.eval_results
    assert "resip" in parsed.data.tags


def test_card_states_a_per_dimension_log_std_the_residuals_dimensions_inputs_and_gate(tmp_path):
    log_std = (-2.0, -2.0, *[-4.0] * 8)
    config = ResipConfig(base_path=str(make_tiny_base(tmp_path)), device="cpu", push_to_hub=False,
                         init_log_std_per_dim=log_std, residual_action_dims=(0, 1), task_features="peg_in_hole",
                         residual_gate_cm=(2.0, 2.5, 8.5), residual_inputs="task_features")
    text = str(resip_model_card(config, REPO_ID))
    assert f"log-std {list(log_std)}" in text
    assert f"initial log-std is set per action dimension, {list(log_std)} (paper: -1.0" in text
    assert "corrects action dimensions [0, 1] only" in text
    assert "acts only while the part is within 2 cm of its assembled position in x and y and 2.5-8.5 cm above it" in text
    assert "actor sees the task-space offsets only (`residual_inputs=task_features`)" in text


def test_collect_pushes_the_dataset_with_its_card(tmp_path, monkeypatch):
    hub = RecordedHub(tmp_path / "remote")
    hub.install(monkeypatch)
    cfg = CollectConfig(
        env=FurnitureEnvConfig(),
        dataset=CollectDatasetConfig(repo_id=DATASET_REPO_ID, root=str(tmp_path / "demos"), push_to_hub=True),
        num_episodes=1, num_envs=1, seed=3,
    )
    collect(cfg, tmp_path / "demos")
    names = [name for name, _ in hub.calls]
    assert "upload_folder" in names and "upload_file" in names and "create_tag" in names
    card = DatasetCard.load(hub.root / DATASET_REPO_ID / "README.md")
    assert {"LeRobot", "resip", "peg_in_hole"} <= set(card.data.tags)
    assert card.data.task_categories == ["robotics"]
    text = str(card)
    assert "--env.task=peg_in_hole" in text and "--seed=3" in text and "100.0%" in text
    assert "lerobot-resip-collect" in text  # the command that recorded it


def test_help_shows_the_push_options():
    result = run_cli("lerobot-resip-train", "--help", env={})
    assert result.returncode == 0, result.stderr[-2000:]
    assert "--policy.push_to_hub=true --policy.repo_id" in " ".join(result.stdout.split())
    assert "--push_eval_episodes" in result.stdout


def test_push_without_repo_id_is_one_line_error(tmp_path):
    result = run_cli("lerobot-resip-train", f"--policy.path={make_tiny_base(tmp_path)}", "--policy.push_to_hub=true",
                     f"--output_dir={tmp_path / 'run'}", env={})
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith(
        "lerobot-resip-train: error: --policy.push_to_hub=true needs --policy.repo_id")
    assert not (tmp_path / "run").exists()


def test_cards_and_presets_ship_in_the_wheel(tmp_path):
    """A regular install reads the card templates and the presets as package data."""
    repo = Path(__file__).resolve().parents[1]
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(tmp_path), str(repo)], check=True, capture_output=True, timeout=300)
    wheel = next(tmp_path.glob("lerobot_policy_resip-*.whl"))
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        zf.extractall(tmp_path / "site")
    assert {"lerobot_resip/hub_cards/resip_model_card.md", "lerobot_resip/hub_cards/dataset_card.md",
            "lerobot_resip/presets/policies/peg_in_hole_diffusion_small.json",
            "lerobot_resip/presets/envs/peg_in_hole_low.json"} <= names
    probe = ("from lerobot_resip.hub import MODEL_CARD_TEMPLATE, card_template; "
             "from lerobot_resip.presets import preset_path; import lerobot_resip; "
             "assert '{{card_data}}' in card_template(MODEL_CARD_TEMPLATE); "
             "print(lerobot_resip.__file__); print(preset_path('peg_in_hole_low'))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120,
                         cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(tmp_path / "site"), "HF_HUB_OFFLINE": "1"}).stdout
    module, preset = out.split()[-2:]
    assert module.startswith(str(tmp_path / "site")) and preset.startswith(str(tmp_path / "site"))


def test_env_preset_runs_through_lerobot_eval(trained, tmp_path):
    checkpoint, _ = trained
    preset = run_cli("lerobot-resip-preset", "peg_in_hole_low_perturbed", env={}).stdout.strip()
    assert preset.endswith("peg_in_hole_low_perturbed.json")
    result = run_cli("lerobot-eval", f"--config_path={preset}", f"--policy.path={checkpoint}",
                     "--eval.n_episodes=1", "--eval.batch_size=1", "--env.episode_length=5",
                     f"--output_dir={tmp_path / 'out'}", env={})
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads((tmp_path / "out" / "eval_info.json").read_text())["overall"]["n_episodes"] == 1

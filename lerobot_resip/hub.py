"""Sharing resip policies and demo datasets on the Hugging Face Hub: cards and the push.

A pushed resip repository is one self-contained checkpoint (config.json with the base's config,
model.safetensors with the base's weights, the processors), its training configuration
(`resip_train_config.json`), the evaluations behind its card (`eval/*.json`) and the model card
(README.md). The card is filled from those files with the template `hub_cards/resip_model_card.md`
(LeRobot's model-card layout); its metadata has a `model-index` block that the Hub parses.

Uploads go through `huggingface_hub.HfApi` (one commit per push); datasets through LeRobot's own
`LeRobotDataset.push_to_hub`.
"""

from __future__ import annotations

import json
import logging
import shlex
import shutil
import sys
import tempfile
from importlib import resources
from pathlib import Path
from typing import Any

from huggingface_hub import EvalResult, HfApi, ModelCard, ModelCardData
from huggingface_hub.constants import CONFIG_NAME

from lerobot_resip.policies.resip.configuration_resip import PAPER_BASE_SETTINGS, ResipConfig
from lerobot_resip.rl.ppo import PPOConfig

logger = logging.getLogger(__name__)

MODEL_CARD_TEMPLATE = "resip_model_card.md"
DATASET_CARD_TEMPLATE = "dataset_card.md"
TRAIN_CONFIG_FILE = "resip_train_config.json"  # the `lerobot-resip-train` run, saved in its checkpoints
EVAL_DIR = "eval"  # where a pushed repo keeps the evaluations its card reports

# The paper's settings (Table IV/VI, reference code) that the card compares a policy against.
PAPER_RESIDUAL = {"action_scale": 0.1, "init_log_std": -1.0, "learn_log_std": False,
                  "residual_hidden_dims": (256, 256), "critic_hidden_dims": (256, 256), "n_action_steps": 8,
                  "base_num_inference_steps": 4}
PAPER_NUM_ENVS = 1024
PAPER_CLEARANCE_MM = {"peg_in_hole": 0.2}


def card_template(name: str) -> str:
    """A template of `hub_cards/` (package data, so a wheel install reads it too)."""
    return resources.files("lerobot_resip.hub_cards").joinpath(name).read_text(encoding="utf-8")


def invocation(prog: str) -> str | None:
    """The command line this process was started with, when it is the console script `prog`."""
    if Path(sys.argv[0]).name != prog:
        return None
    return shlex.join([prog, *sys.argv[1:]])


# ------------------------------------------------------------------------------------------ model card


def evaluation_row(result: dict, name: str) -> dict:
    """A card row from a `lerobot-resip-eval` result (its JSON, loaded); `name` names its file in the repo."""
    env = result.get("env", {})
    return {
        "name": name,
        "result": result,
        "setting": "perturbed (1% pushes per step)" if env.get("perturb") else "unperturbed",
        "perturb": bool(env.get("perturb", False)),
        "success_rate": result["success_rate"],
        "ci95": result["success_ci95"],
        "successes": result["successes"],
        "episodes": result["episodes"],
        "seeds": f"--seed={result['seed']}" if "seed" in result else "n/a",
        "command": result.get("command"),
        "env": env,
    }


def _model_index(evaluations: list[dict]) -> list[EvalResult]:
    results = []
    for e in evaluations:
        env = e["env"]
        results.append(EvalResult(
            task_type="robotics",
            task_name="Precise assembly",
            dataset_type=f"lerobot_resip/{env.get('task')}",
            dataset_name=f"furniture/{env.get('task')} ({env.get('randomness')}, {e['setting']})",
            # The Hub groups results by dataset config: the perturbed protocol gets its own.
            dataset_config=f"{env.get('randomness')}{'-perturbed' if e['perturb'] else ''}",
            dataset_args={"clearance_mm": env.get("clearance_mm"), "perturb": e["perturb"],
                          "episode_length": env.get("episode_length")},
            metric_type="success_rate",
            metric_name="Success rate",
            metric_value=round(e["success_rate"], 4),
            metric_args={"ci95": [round(x, 4) for x in e["ci95"]], "successes": e["successes"],
                         "episodes": e["episodes"], "seeds": e["seeds"]},
        ))
    return results


def departures_from_paper(policy: ResipConfig, train: dict | None) -> list[str]:
    """What this policy does differently from the paper, read off its settings."""
    items = []
    if policy.base_noise_scale != 1.0:
        items.append(f"Base chunks denoised from noise scaled by {policy.base_noise_scale:g}"
                     + (" (a deterministic base)" if policy.base_noise_scale == 0 else "")
                     + "; the paper samples from unit Gaussian noise.")
    if policy.task_features:
        items.append(f"The residual and the critic also see task-space offsets in cm "
                     f"(`task_features={policy.task_features}`); the paper's see the normalized state and base action only.")
    if policy.residual_inputs != "all":
        items.append(f"The residual actor sees the task-space offsets only (`residual_inputs={policy.residual_inputs}`); "
                     "the paper's sees what its critic sees.")
    if policy.init_log_std_per_dim is not None:
        items.append(f"The residual's initial log-std is set per action dimension, {list(policy.init_log_std_per_dim)} "
                     f"(paper: {PAPER_RESIDUAL['init_log_std']} for every dimension).")
    if policy.residual_action_dims is not None:
        items.append(f"The residual corrects action dimensions {list(policy.residual_action_dims)} only; "
                     "the paper's corrects every dimension.")
    if policy.residual_gate_cm is not None:
        radius, low, high = policy.residual_gate_cm
        items.append(f"The residual acts only while the part is within {radius:g} cm of its assembled position in x and y "
                     f"and {low:g}-{high:g} cm above it; the paper's acts at every step.")
    if policy.base_warm_start_timestep:
        items.append(f"DDIM warm-started from the previous chunk at timestep {policy.base_warm_start_timestep} "
                     "(the reference code's quirk, not in the paper's text).")
    for name, paper in PAPER_RESIDUAL.items():
        ours = getattr(policy, name)
        if (tuple(ours) if isinstance(ours, (list, tuple)) else ours) != paper:
            items.append(f"`{name}` = {ours} (paper: {paper}).")
    base = policy.base_config or {}
    if tuple(base.get("down_dims", PAPER_BASE_SETTINGS["down_dims"])) != PAPER_BASE_SETTINGS["down_dims"]:
        items.append(f"A smaller diffusion U-Net (down dims {tuple(base['down_dims'])}; paper "
                     f"{PAPER_BASE_SETTINGS['down_dims']}), sized for CPU training.")
    if train:
        if train.get("num_envs") != PAPER_NUM_ENVS:
            items.append(f"{train.get('num_envs')} parallel environments (paper: {PAPER_NUM_ENVS}).")
        paper_ppo = PPOConfig()
        for name, value in (train.get("ppo") or {}).items():
            if hasattr(paper_ppo, name) and getattr(paper_ppo, name) != value:
                items.append(f"PPO `{name}` = {value} (paper: {getattr(paper_ppo, name)}).")
        env = train.get("env") or {}
        task = env.get("task")
        if task in PAPER_CLEARANCE_MM and env.get("clearance_mm") != PAPER_CLEARANCE_MM[task]:
            items.append(f"Clearance {env.get('clearance_mm')} mm (paper: {PAPER_CLEARANCE_MM[task]} mm).")
    items.append("Simulated in MuJoCo on CPU threads (the paper: IsaacGym on a GPU).")
    return items


def base_model_id(policy: ResipConfig) -> str | None:
    """The base's Hub repo id: `base_path` when it is one, else the repo the base was pushed to."""
    if policy.base_path and not Path(policy.base_path).exists() and policy.base_path.count("/") == 1:
        return policy.base_path
    return (policy.base_config or {}).get("repo_id")


def resip_model_card(
    policy: ResipConfig,
    repo_id: str,
    evaluations: list[dict] = (),
    train: dict | None = None,
    dataset_repo_id: str | None = None,
) -> ModelCard:
    """The model card of a resip policy (not validated online: the upload validates its metadata).

    Args:
        policy: the policy's config (what its config.json holds).
        repo_id: the repository it is pushed to.
        evaluations: rows from `evaluation_row` (success rate, interval, episodes, seeds, command).
        train: the `lerobot-resip-train` run's `resip_train_config.json` (None: not trained by it).
        dataset_repo_id: the base's training dataset (default: `policy.base_dataset_repo_id`).
    """
    dataset = dataset_repo_id or policy.base_dataset_repo_id
    if dataset and dataset.startswith("local/"):  # a dataset that was never on the Hub
        dataset = None
    base_model = base_model_id(policy)
    env = (train or {}).get("env") or (evaluations[0]["env"] if evaluations else {})
    task = env.get("task") or policy.task_features or "assembly"
    tags = sorted({"robotics", "lerobot", "resip", "residual-rl", "ppo", str(task), *(policy.tags or [])})
    card_data = ModelCardData(
        license=policy.license or "apache-2.0",
        library_name="lerobot",
        pipeline_tag="robotics",
        tags=tags,
        model_name=repo_id.split("/")[-1],
        datasets=[dataset] if dataset else None,
        base_model=base_model,
        eval_results=_model_index(list(evaluations)) or None,
    )
    features = {name: {"type": ft.type.value, "shape": tuple(ft.shape)}
                for name, ft in {**policy.input_features, **policy.output_features}.items()}
    training = None
    if train:
        ppo, state = train.get("ppo") or {}, train.get("state") or {}
        training = {
            "Parallel environments": train.get("num_envs"),
            "PPO iterations": train.get("num_iterations"),
            "Best checkpoint": f"iteration {state['best_iteration']}" if state.get("best_iteration") else "n/a",
            "Env steps to the best checkpoint": state.get("best_env_steps", "n/a"),
            "Actor / critic learning rate": f"{ppo.get('actor_lr')} / {ppo.get('critic_lr')}",
            "Minibatches x epochs": f"{ppo.get('num_minibatches')} x {ppo.get('update_epochs')}",
            "Seed": train.get("seed"),
        }
    context: dict[str, Any] = {
        "repo_id": repo_id,
        "license": card_data.license,
        "policy": policy,
        "base": {**PAPER_BASE_SETTINGS, **(policy.base_config or {})},
        "base_model": base_model,
        "dataset": dataset,
        "features": features,
        "env": {"task": task, "randomness": env.get("randomness", "n/a"),
                "clearance_mm": env.get("clearance_mm", "n/a"), "episode_length": env.get("episode_length", "n/a")},
        "evaluations": list(evaluations),
        "train_command": "\n".join((train or {}).get("commands") or []) or None,
        "training": training,
        "departures": departures_from_paper(policy, train),
    }
    return ModelCard.from_template(card_data, template_str=card_template(MODEL_CARD_TEMPLATE), **context)


# ------------------------------------------------------------------------------------------------ push


def read_json(path: Path) -> dict | None:
    return json.loads(Path(path).read_text()) if Path(path).is_file() else None


def push_resip(
    policy_dir: Path,
    repo_id: str,
    evaluations: list[dict] = (),
    private: bool | None = None,
    license: str | None = None,
    tags: list[str] | None = None,
) -> str:
    """Upload a saved resip checkpoint directory (policy + processors, as `save_pretrained` writes them)
    with its model card and the evaluations it reports to `repo_id`, in one commit. The published
    config.json names the repo and has `push_to_hub` off (continuing from it pushes only when asked).
    Returns the repo URL."""
    policy_dir = Path(policy_dir)
    config = ResipConfig.from_pretrained(str(policy_dir))
    config.repo_id, config.push_to_hub, config.pretrained_path = repo_id, False, None
    config.license, config.tags = license or config.license, tags or config.tags
    card = resip_model_card(config, repo_id, evaluations, read_json(policy_dir / TRAIN_CONFIG_FILE))
    api = HfApi()
    repo = api.create_repo(repo_id=repo_id, private=private, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        stage = Path(tmp)
        for file in policy_dir.iterdir():
            if file.is_file() and file.suffix in (".json", ".safetensors") and file.name != CONFIG_NAME:
                shutil.copy2(file, stage / file.name)
        config._save_pretrained(stage)
        card.save(str(stage / "README.md"))
        for e in evaluations:
            (stage / EVAL_DIR).mkdir(exist_ok=True)
            (stage / EVAL_DIR / f"{e['name']}.json").write_text(json.dumps(e["result"], indent=2))
        api.upload_folder(repo_id=repo.repo_id, repo_type="model", folder_path=str(stage),
                          commit_message="Upload resip policy, its evaluations and model card")
    logger.info("pushed %s to %s", policy_dir, repo)
    return str(repo)

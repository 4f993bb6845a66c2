"""The dataset card pushed by `lerobot-resip-collect` renders offline with LeRobot's template."""

from lerobot.datasets.utils import create_lerobot_dataset_card

from lerobot_resip.scripts.collect import DATASET_CARD


def test_dataset_card_renders_with_the_run_facts():
    description = DATASET_CARD.read_text().format(
        task="peg_in_hole", randomness="low", clearance_mm=0.5, episodes=50, frames=3700,
        success_rate=0.98, seed=0, repo_id="user/peg_in_hole",
    )
    card = create_lerobot_dataset_card(
        tags=["LeRobot", "resip", "peg_in_hole"], license="apache-2.0", repo_id="user/peg_in_hole",
        dataset_description=description,
    )
    text = str(card)
    assert "--env.task=peg_in_hole" in text and "98.0%" in text and "50 (3700 frames)" in text
    assert set(card.data.tags) >= {"LeRobot", "resip", "peg_in_hole"}
    assert card.data.task_categories == ["robotics"]

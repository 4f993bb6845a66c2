"""Hub card templates (package data of `lerobot_resip.hub_cards`, read by `lerobot_resip.hub`)."""

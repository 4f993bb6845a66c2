"""`lerobot-train` config presets (package data of `lerobot_resip.presets.policies`; see `lerobot_resip.presets`)."""

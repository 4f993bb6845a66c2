"""`lerobot-eval` config presets (package data of `lerobot_resip.presets.envs`; see `lerobot_resip.presets`)."""

"""Perception for real benches: part poses from AprilTags (`tags`), and tags drawn on simulated parts (`sim_tags`)."""

"""Shared test setup: offline Hugging Face Hub, headless MuJoCo rendering, one torch thread."""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("MUJOCO_GL", "egl")

import pytest  # noqa: E402  (after the environment is set)
import torch  # noqa: E402


@pytest.fixture(autouse=True)
def one_torch_thread():
    """Tiny networks: two intra-op threads fighting a busy second core are ~100x slower than one."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)

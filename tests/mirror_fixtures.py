"""Shared fixtures for tests that drive the real huggingface_hub client against hubscan's mirror.

Import the fixtures into a test module (``from mirror_fixtures import hf_env, hub, mini_snapshot, shared_hub``)
and add ``# ruff: noqa: F401, F811`` at its top: pytest finds fixtures by name in the module namespace.
"""

from __future__ import annotations

import json
import os
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest

# Fixed at huggingface_hub import time (huggingface_hub.constants reads it once): set before anything imports it.
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

from hubscan.mirror import MirrorServer, write_repo  # noqa: E402

GOOD_TOKEN = "hf_allowed_token"
OTHER_TOKEN = "hf_other_token"
N_PLAIN = 9  # org-a/m0 .. org-b/m8


def safetensors_bytes(tensors: dict[str, tuple[str, list[int]]]) -> bytes:
    """A tiny valid safetensors file (zeros) with the given {name: (dtype, shape)}."""
    sizes = {"F32": 4, "F16": 2, "BF16": 2, "I64": 8}
    header: dict[str, object] = {}
    offset = 0
    for name, (dtype, shape) in tensors.items():
        n = 1
        for d in shape:
            n *= d
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + n * sizes[dtype]]}
        offset += n * sizes[dtype]
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + b"\0" * offset


def build_mini_snapshot(root: Path) -> Path:
    """A small, fully synthetic snapshot covering the listing, gating and error paths."""
    for i in range(N_PLAIN):
        owner = "org-a" if i % 2 == 0 else "org-b"
        card = (
            "---\n"
            f"license: {'mit' if i % 3 == 0 else 'apache-2.0'}\n"
            "datasets: [wiki]\n"
            f"pipeline_tag: {'text-generation' if i < 5 else 'fill-mask'}\n"
            "co2_eq_emissions:\n  emissions: 1e-3\n  source: codecarbon\n"
            "trained: 2024-01-01\n"
            "flag: yes\n"
            "---\n"
        )
        meta: dict[str, object] = {"downloads": 100 * i, "likes": 10 - i}
        if i != 4:  # one repo without trendingScore/createdAt: null values sort last
            meta["trendingScore"] = i % 3
            meta["createdAt"] = f"2024-0{1 + i % 9}-15T10:00:00.000Z"
            meta["lastModified"] = f"2025-0{1 + (8 - i)}-01T00:00:00Z"
        write_repo(
            root,
            f"{owner}/m{i}",
            files={
                "config.json": json.dumps(
                    {"model_type": "llama" if i < 6 else "bert", "architectures": ["X"], "hidden_size": 8}
                ),
                "README.md": card,
            },
            meta=meta,
        )
    write_repo(
        root,
        "org-a/gated",
        files={"config.json": '{"model_type": "llama"}', "README.md": "---\nlicense: other\n---\n"},
        meta={"gated": "manual", "allowed_tokens": [GOOD_TOKEN], "downloads": 5},
    )
    write_repo(
        root,
        "org-a/private",
        files={"config.json": "{}"},
        meta={"private": True, "allowed_tokens": [GOOD_TOKEN]},
    )
    weights = safetensors_bytes({"w": ("F32", [4, 4]), "b": ("F32", [4])})
    write_repo(
        root,
        "org-c/weights",
        files={
            "config.json": '{"model_type": "gpt2", "quantization_config": {"bits": 4, "quant_method": "gptq", "x": 1}}',
            "model.safetensors": weights,
            "sub/dir/notes.txt": "hello world\n",
            "bad.json": "{not json",
        },
        meta={
            "refs": ["refs/pr/1", "v1.0"],
            "aliases": ["old-name", "org-old/weights"],
            "safetensors": {"parameters": {"F32": 20}, "total": 20},
        },
    )
    return root


@pytest.fixture
def hf_env(tmp_path, monkeypatch) -> Path:
    """Isolate the HF cache/home in tmp_path and make sure no real token is sent."""
    from huggingface_hub import constants

    home = tmp_path / "hf-home"
    monkeypatch.setenv("HF_HOME", str(home))
    monkeypatch.setenv("HF_HUB_CACHE", str(home / "hub"))
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setattr(constants, "HF_HOME", str(home))
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(home / "hub"))
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(home / "token"))
    return home


@pytest.fixture(scope="module")
def mini_snapshot(tmp_path_factory) -> Path:
    return build_mini_snapshot(tmp_path_factory.mktemp("snapshot"))


@pytest.fixture(scope="module")
def shared_hub(mini_snapshot) -> Iterator[MirrorServer]:
    """One server per test module (starting one per test costs ~0.1 s)."""
    quotas = {"api": 10**6, "resolvers": 10**6, "pages": 10**6}
    with MirrorServer(mini_snapshot, page_size=4, rate_limits=quotas) as server:
        yield server


@pytest.fixture
def hub(shared_hub) -> Iterator[MirrorServer]:
    """The module's server with an empty request log and no faults."""
    shared_hub.clear_faults()
    shared_hub.clear_log()
    yield shared_hub
    shared_hub.clear_faults()

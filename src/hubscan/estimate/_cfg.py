"""Reading config.json dicts defensively: alias keys, type checks, and a running tally of parameters."""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

_MISSING = object()


class ConfigProblem(Exception):
    """The config cannot be counted exactly (missing or malformed key); str() says why."""


class InvalidConfig(ConfigProblem):
    """A value no real model has (NaN, infinite, negative size, absurd magnitude): the config is invalid."""


# Bounds for integer config values: sizes beyond these are not models but hostile or corrupt input.
MAX_INT = 1 << 40  # any single size (widths, vocabularies, experts, positions)
MAX_LAYERS = 100_000
MAX_TOTAL_PARAMS = 10**15
_LAYER_WORDS = ("layers", "layer", "depth", "n_layer")


class NotExact(Exception):
    """The family formula applies, but this config is outside what it counts exactly."""


class Cfg:
    """A view of one (sub-)config with alias-aware, type-checked getters."""

    def __init__(self, data: dict, name: str = "config"):
        self.data = data
        self.name = name

    def has(self, *keys: str) -> bool:
        return any(self.data.get(k) is not None for k in keys)

    def raw(self, *keys: str, default: Any = None) -> Any:
        for k in keys:
            v = self.data.get(k, _MISSING)
            if v is not _MISSING and v is not None:
                return v
        return default

    def int(self, *keys: str, default: Any = _MISSING) -> int:
        for k in keys:
            v = self.data.get(k, _MISSING)
            if v is _MISSING or v is None:
                continue
            if isinstance(v, bool):
                raise ConfigProblem(f"{self.name}.{k} is a boolean, expected an integer")
            if isinstance(v, float):
                if not math.isfinite(v):
                    raise InvalidConfig(f"{self.name}.{k} = {v!r} is not a finite number")
                if v.is_integer():
                    v = int(v)
            if not isinstance(v, int):
                raise ConfigProblem(f"{self.name}.{k} = {v!r} is not an integer")
            return check_range(f"{self.name}.{k}", v)
        if default is _MISSING:
            raise ConfigProblem(f"{self.name} has none of the keys {', '.join(keys)}")
        return default

    def num(self, *keys: str, default: Any = _MISSING) -> float:
        for k in keys:
            v = self.data.get(k, _MISSING)
            if v is _MISSING or v is None:
                continue
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise ConfigProblem(f"{self.name}.{k} = {v!r} is not a number")
            if not math.isfinite(v) or abs(v) > MAX_INT:
                raise InvalidConfig(f"{self.name}.{k} = {v!r} is not a finite number of sane magnitude")
            return v
        if default is _MISSING:
            raise ConfigProblem(f"{self.name} has none of the keys {', '.join(keys)}")
        return default

    def bool(self, *keys: str, default: Any = _MISSING) -> bool:
        for k in keys:
            v = self.data.get(k, _MISSING)
            if v is _MISSING or v is None:
                continue
            if isinstance(v, bool):
                return v
            if isinstance(v, int) and v in (0, 1):
                return bool(v)
            raise ConfigProblem(f"{self.name}.{k} = {v!r} is not a boolean")
        if default is _MISSING:
            raise ConfigProblem(f"{self.name} has none of the keys {', '.join(keys)}")
        return default

    def str(self, *keys: str, default: Any = _MISSING) -> str:
        for k in keys:
            v = self.data.get(k, _MISSING)
            if v is _MISSING or v is None:
                continue
            if not isinstance(v, str):
                raise ConfigProblem(f"{self.name}.{k} = {v!r} is not a string")
            return v
        if default is _MISSING:
            raise ConfigProblem(f"{self.name} has none of the keys {', '.join(keys)}")
        return default

    def list(self, *keys: str, default: Any = _MISSING) -> list:
        for k in keys:
            v = self.data.get(k, _MISSING)
            if v is _MISSING or v is None:
                continue
            if not isinstance(v, list):
                raise ConfigProblem(f"{self.name}.{k} = {v!r} is not a list")
            return v
        if default is _MISSING:
            raise ConfigProblem(f"{self.name} has none of the keys {', '.join(keys)}")
        return default

    def ints(self, *keys: str, default: Any = _MISSING) -> list[int]:
        values = self.list(*keys, default=default)
        if values is default:
            return values
        out = []
        for v in values:
            if isinstance(v, bool) or not isinstance(v, int):
                raise ConfigProblem(f"{self.name}.{keys[0]} contains {v!r}, expected non-negative integers")
            out.append(check_range(f"{self.name}.{keys[0]}", v))
        return out

    def sub(self, key: str, *, default: dict | None = None) -> Cfg:
        v = self.data.get(key)
        if v is None:
            if default is None:
                raise ConfigProblem(f"{self.name} has no {key}")
            v = default
        if not isinstance(v, dict):
            raise ConfigProblem(f"{self.name}.{key} is not an object")
        return Cfg(v, f"{self.name}.{key}")

    def num_labels(self, default: int = 2) -> int:
        id2label = self.data.get("id2label")
        if isinstance(id2label, dict) and id2label:
            return len(id2label)
        return self.int("num_labels", "_num_labels", default=default)


def check_range(name: str, v: int) -> int:
    """The one place integer sizes are validated: negative or absurd values make the config invalid."""
    if v < 0:
        raise InvalidConfig(f"{name} = {v} is negative")
    if v > MAX_INT:
        raise InvalidConfig(f"{name} = {v:.3g} exceeds {MAX_INT:.3g}, no real model has this size")
    if v > MAX_LAYERS and name.rsplit(".", 1)[-1].endswith(_LAYER_WORDS):
        raise InvalidConfig(f"{name} = {v} layers exceeds {MAX_LAYERS}")
    return v


_SIZE_KEY = re.compile(
    r"(^|_)(hidden_size|intermediate_size|head_dim|vocab_size|d_model|n_embd|dim|layers|heads|experts|"
    r"ffn_dim|d_ff|rank|depth|n_layer|n_head)$"
)


def validate_sizes(config: dict, name: str = "config", _depth: int = 0) -> None:
    """Range-check every size-like key (and those of nested ``*_config`` dicts) through :meth:`Cfg.int`.

    Raises InvalidConfig for NaN/infinite/absurd sizes even where no formula reads the key (negative values are
    left to the getter of the formula that reads them).
    """
    c = Cfg(config, name)
    for key, value in config.items():
        if not isinstance(key, str):
            continue
        if isinstance(value, dict) and key.endswith("config") and _depth < 3:
            validate_sizes(value, f"{name}.{key}", _depth + 1)
        elif isinstance(value, (int, float)) and not isinstance(value, bool) and _SIZE_KEY.search(key):
            if (
                value < 0
            ):  # derived bookkeeping keys can be negative; a negative size a formula reads is caught
                continue
            try:
                c.int(key)
            except InvalidConfig:
                raise
            except ConfigProblem:  # a non-integer float: not hostile, formulas decide
                pass


def positive(name: str, value: int) -> int:
    if value <= 0:
        raise ConfigProblem(f"{name} must be positive, got {value}")
    return value


def divide(name: str, a: int, b: int) -> int:
    if b <= 0 or a % b:
        raise ConfigProblem(f"{name}: {a} is not divisible by {b}")
    return a // b


@dataclass
class KVLayer:
    """Per-token cache elements (K and V together, all heads) of one layer; window caps it for sliding layers."""

    elems: int
    window: int | None = None
    attn_dim: int = 0  # query heads x head_dim, for the attention-context FLOPs term


@dataclass
class Tally:
    parts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    experts_total: int = 0
    experts_active: int = 0
    embedding: int = 0  # input token embedding matrix
    kv_layers: list[KVLayer] = field(default_factory=list)
    state_elems: int = 0  # fixed-size recurrent state per sequence (mamba, rwkv)
    notes: list[str] = field(default_factory=list)
    has_kv: bool = True  # encoders have no KV cache in inference
    mtp: int = 0  # multi-token-prediction parameters stored in checkpoints but not built (not in total)
    approx: list[str] = field(default_factory=list)  # reasons the count is an estimate, not exact

    def add(self, part: str, n: int) -> None:
        self.parts[part] += int(n)

    def embed(self, n: int) -> None:
        self.embedding += int(n)
        self.parts["embeddings"] += int(n)

    def experts(self, total: int, active: int) -> None:
        self.experts_total += int(total)
        self.experts_active += int(active)
        self.parts["experts"] += int(total)

    def merge(self, other: Tally, prefix: str | None = None) -> None:
        for k, v in other.parts.items():
            self.parts[k] += v
        self.experts_total += other.experts_total
        self.experts_active += other.experts_active
        self.embedding += other.embedding
        self.kv_layers.extend(other.kv_layers)
        self.state_elems += other.state_elems
        self.notes.extend(other.notes)

    @property
    def total(self) -> int:
        return sum(self.parts.values())

    @property
    def active(self) -> int:
        return self.total - self.experts_total + self.experts_active


def linear(i: int, o: int, bias: bool = True) -> int:
    return i * o + (o if bias else 0)


def layer_norm(d: int, bias: bool = True) -> int:
    return d * 2 if bias else d

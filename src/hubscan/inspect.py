"""``hubscan inspect``: footprint of a config.json, reported emissions of a card, estimate for a folder with both."""

from __future__ import annotations

from pathlib import Path

from hubscan.errors import ParseError
from hubscan.estimate.emissions import estimate_for_model
from hubscan.estimate.footprint import analyze_config
from hubscan.parse.card import analyze_card
from hubscan.parse.limits import DEFAULT_LIMITS, JsonLimitError, load_json

CONFIG_NAMES = ("config.json",)
CARD_NAMES = ("README.md",)
MAX_INPUT_BYTES = DEFAULT_LIMITS.max_bytes


def inspect_path(
    path: str | Path, *, context: int = 4096, dtype: str | None = None, exact: bool | None = None
) -> dict:
    """One JSON-ready record per input path. Never raises for bad input: the record carries ``error``."""
    path = Path(path)
    record: dict = {"path": str(path)}
    config_file, card_file = _locate(path)
    if config_file is None and card_file is None:
        if not path.exists():
            record["error"] = "no such file or directory"
        elif path.is_dir():
            record["error"] = "folder holds neither config.json nor README.md"
        else:
            record["error"] = "not a config (.json) or model card (.md) file"
        return record

    footprint = reported = None
    if config_file is not None:
        footprint, error = _footprint(config_file, context=context, dtype=dtype, exact=exact)
        if error:
            record["config_error"] = error
        else:
            record.update(
                model_type=footprint.get("model_type"),
                params=footprint["params"],
                memory=footprint["memory"],
                flops_per_token=footprint.get("flops_per_token"),
                training_flops_per_token=footprint.get("training_flops_per_token"),
                safetensors=footprint.get("safetensors"),
                estimator_version=footprint.get("estimator_version"),
            )
    if card_file is not None:
        data = _read(card_file)
        if isinstance(data, str):
            record["card_error"] = data
        else:
            reported = analyze_card(data)
            record["reported"] = {k: v for k, v in reported.items() if k != "card_data"}
    if footprint is not None or reported is not None:
        record["estimate"] = estimate_for_model(reported, footprint)
    errors = [record.get(key) for key in ("config_error", "card_error") if record.get(key)]
    if errors and "params" not in record and "reported" not in record:
        record["error"] = "; ".join(errors)
    return record


def _locate(path: Path) -> tuple[Path | None, Path | None]:
    if path.is_dir():
        config = next((path / n for n in CONFIG_NAMES if (path / n).is_file()), None)
        card = next((path / n for n in CARD_NAMES if (path / n).is_file()), None)
        return config, card
    if path.is_file():
        if path.suffix.lower() == ".json":
            return path, None
        if path.suffix.lower() in (".md", ".markdown"):
            return None, path
    return None, None


def _read(path: Path) -> bytes | str:
    try:
        size = path.stat().st_size
        if size > MAX_INPUT_BYTES:
            return f"{path.name} is {size:,} bytes, over the {MAX_INPUT_BYTES:,}-byte limit"
        return path.read_bytes()
    except OSError as exc:
        return f"cannot read {path.name}: {exc.strerror or exc}"


def _footprint(path: Path, *, context, dtype, exact) -> tuple[dict | None, str | None]:
    data = _read(path)
    if isinstance(data, str):
        return None, data
    try:
        config = load_json(data)
    except JsonLimitError as exc:
        if exc.kind == "invalid_json":
            return None, f"{path.name} is not valid JSON: {str(exc).removeprefix('invalid JSON: ')}"
        return None, f"{path.name} is refused: {exc}"
    try:
        return analyze_config(config, context=context, dtype=dtype, use_transformers=exact), None
    except ParseError as exc:
        return None, str(exc)
    except ArithmeticError as exc:  # an absurd value the estimator could not bound: one line, no traceback
        return None, f"{path.name} has values the estimator cannot use: {type(exc).__name__}: {exc}"

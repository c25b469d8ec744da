"""``hubscan inspect``: footprint of a config.json, reported emissions of a card, measured emissions of a
codecarbon ``emissions.csv``, and the estimate for a folder with several of them."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from hubscan.errors import ParseError
from hubscan.estimate.emissions import estimate_for_model
from hubscan.estimate.footprint import analyze_config
from hubscan.parse.card import analyze_card
from hubscan.parse.limits import DEFAULT_LIMITS, JsonLimitError, load_json

CONFIG_NAMES = ("config.json",)
CARD_NAMES = ("README.md",)
CODECARBON_NAMES = ("emissions.csv",)
# codecarbon's emissions.csv: one row per tracked run; emissions in kg CO2eq, energy in kWh, duration in s.
CODECARBON_REQUIRED = ("duration", "emissions")
MAX_INPUT_BYTES = DEFAULT_LIMITS.max_bytes


def inspect_path(
    path: str | Path, *, context: int = 4096, dtype: str | None = None, exact: bool | None = None
) -> dict:
    """One JSON-ready record per input path. Never raises for bad input: the record carries ``error``."""
    path = Path(path)
    record: dict = {"path": str(path)}
    config_file, card_file = _locate(path)
    measured_file = _codecarbon_file(path)
    if config_file is None and card_file is None and measured_file is None:
        if not path.exists():
            record["error"] = "no such file or directory"
        elif path.is_dir():
            record["error"] = "folder holds neither config.json, README.md nor emissions.csv"
        else:
            record["error"] = "not a config (.json), model card (.md) or codecarbon emissions (.csv) file"
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
    if measured_file is not None:
        measured = read_codecarbon(measured_file)
        if isinstance(measured, str):
            record["measured_error"] = measured
        else:
            record["measured"] = measured
            # The measurement is the reported figure the estimate is compared with; its hardware, duration
            # and location are the estimate's inputs.
            reported = {**(reported or {}), **as_reported(measured)}
    if footprint is not None or reported is not None:
        record["estimate"] = estimate_for_model(reported, footprint)
    errors = [record.get(key) for key in ("config_error", "card_error", "measured_error") if record.get(key)]
    if errors and "params" not in record and "reported" not in record and "measured" not in record:
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


def _codecarbon_file(path: Path) -> Path | None:
    if path.is_dir():
        return next((path / n for n in CODECARBON_NAMES if (path / n).is_file()), None)
    if path.is_file() and path.suffix.lower() == ".csv":
        return path
    return None


def _number(value: str | None) -> float | None:
    try:
        number = float(value) if value not in (None, "") else None
    except ValueError:
        return None
    return number if number is not None and number == number else None


def _text(rows: list[dict], key: str) -> str | None:
    values = [r.get(key).strip() for r in rows if (r.get(key) or "").strip()]
    return values[-1] if values else None


def read_codecarbon(path: Path) -> dict | str:
    """codecarbon's ``emissions.csv`` as a measured report: totals over its rows (one row per tracked run)
    in hubscan's units (grams CO2eq, kWh, hours), and where and on what it ran. A string says what is wrong."""
    data = _read(path)
    if isinstance(data, str):
        return data
    try:
        rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    except (UnicodeDecodeError, csv.Error) as exc:
        return f"{path.name} is not a readable CSV file: {exc}"
    if not rows or any(column not in rows[0] for column in CODECARBON_REQUIRED):
        return f"{path.name} is not a codecarbon emissions.csv (needs the columns {', '.join(CODECARBON_REQUIRED)})"
    kg = [_number(r.get("emissions")) for r in rows]
    seconds = [_number(r.get("duration")) for r in rows]
    kwh = [_number(r.get("energy_consumed")) for r in rows]
    if all(v is None for v in kg):
        return f"{path.name} has no emissions value"
    gpu_counts = [_number(r.get("gpu_count")) for r in rows]
    return {
        "source": "codecarbon",
        "runs": len(rows),
        "emissions_g": 1000 * sum(v for v in kg if v is not None),
        "energy_kwh": sum(v for v in kwh if v is not None) if any(v is not None for v in kwh) else None,
        "duration_hours": sum(v for v in seconds if v is not None) / 3600,
        "country": _text(rows, "country_name") or _text(rows, "country_iso_code"),
        "region": _text(rows, "region"),
        "cloud_provider": _text(rows, "cloud_provider"),
        "cloud_region": _text(rows, "cloud_region"),
        "gpu_model": _text(rows, "gpu_model"),
        "gpu_count": int(max(v for v in gpu_counts if v is not None)) if any(gpu_counts) else None,
        "cpu_model": _text(rows, "cpu_model"),
        "codecarbon_version": _text(rows, "codecarbon_version"),
    }


def as_reported(measured: dict) -> dict:
    """A measured report in the shape of a card record (``hubscan.parse.card``), for the estimator."""
    hardware = measured.get("gpu_model") or measured.get("cpu_model")
    if hardware and measured.get("gpu_count") and measured.get("gpu_model") and " x " not in hardware:
        hardware = f"{measured['gpu_count']} x {hardware}"
    location = ", ".join(p for p in (measured.get("region"), measured.get("country")) if p) or None
    return {
        "emissions_g": measured["emissions_g"],
        "hardware": hardware,
        "hours": measured.get("duration_hours"),
        "location": location,
        "cloud_provider": measured.get("cloud_provider"),
        "compute_region": measured.get("cloud_region"),
        "source": "codecarbon emissions.csv",
    }

"""On-disk Hub snapshot: load it once into memory, and write repos into it (see docs/MIRROR.md).

Layout::

    SNAPSHOT/repos/<owner>/<name>/meta.json     listing fields (all optional)
    SNAPSHOT/repos/<owner>/<name>/files/...     the repo's files at its single commit
    SNAPSHOT/repos/<name>/...                   legacy one-segment repo id (e.g. ``gpt2``)

Files are enumerated once at load time; the server only ever serves entries of that in-memory index, so a
request path can never reach outside the snapshot. Symlinks inside ``files/`` are ignored.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from hubscan.mirror.frontmatter import parse_card_data

__all__ = [
    "EXPAND_KEYS",
    "FileEntry",
    "Repo",
    "Snapshot",
    "SnapshotError",
    "load_snapshot",
    "sample_hub_path",
    "valid_repo_id",
    "write_repo",
]

_SEGMENT_RE = re.compile(r"^[A-Za-z0-9_.\-]{1,96}$")
LFS_SUFFIXES = (
    ".safetensors", ".bin", ".gguf", ".pt", ".pth", ".ckpt", ".onnx", ".h5", ".msgpack",
    ".pkl", ".npz", ".npy", ".tflite", ".ot", ".model", ".zip", ".tar", ".gz",
)  # fmt: skip
LFS_MIN_SIZE = 10 * 1024 * 1024
_MEM_CACHE_MAX = 1024 * 1024

# Union of the expand values of huggingface_hub 0.26.5 … 2.4.0.
EXPAND_KEYS = frozenset(
    [
        "author",
        "baseModels",
        "cardData",
        "childrenModelCount",
        "config",
        "createdAt",
        "disabled",
        "downloads",
        "downloadsAllTime",
        "evalResults",
        "gated",
        "gguf",
        "inference",
        "inferenceProviderMapping",
        "lastModified",
        "library_name",
        "likes",
        "mask_token",
        "model-index",
        "pipeline_tag",
        "private",
        "resourceGroup",
        "safetensors",
        "sha",
        "siblings",
        "spaces",
        "tags",
        "transformersInfo",
        "trendingScore",
        "usedStorage",
        "widgetData",
        "xetEnabled",
    ]
)
_TOKENIZER_KEYS = (
    "bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token",
    "chat_template", "use_default_system_prompt",
)  # fmt: skip
_QUANT_KEYS = ("bits", "load_in_4bit", "load_in_8bit", "quant_method")
_BASE_RELATIONS = ("finetune", "adapter", "quantized", "merge")


class SnapshotError(ValueError):
    """The snapshot directory is missing or malformed."""


def sample_hub_path() -> Path:
    """The bundled sample Hub snapshot (built from the shared corpus by scripts/build_sample_hub.py)."""
    return Path(__file__).resolve().parent.parent / "sample_hub"


def _valid_segment(seg: str) -> bool:
    return bool(_SEGMENT_RE.match(seg)) and seg not in (".", "..") and not seg.startswith("..")


def valid_repo_id(repo_id: str) -> bool:
    parts = repo_id.split("/")
    return 1 <= len(parts) <= 2 and all(_valid_segment(p) for p in parts)


def _valid_file_path(path: str) -> bool:
    if not path or path.startswith("/") or "\\" in path or "\x00" in path:
        return False
    return all(p not in ("", ".", "..") for p in path.split("/"))


def git_blob_sha1(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\x00" % len(data) + data).hexdigest()


def lfs_pointer(sha256: str, size: int) -> bytes:
    return f"version https://git-lfs.github.com/spec/v1\noid sha256:{sha256}\nsize {size}\n".encode()


@dataclass
class FileEntry:
    path: str  # repo-relative, "/"-separated
    disk_path: Path
    size: int
    blob_id: str  # git sha1 of the content (or of the LFS pointer)
    sha256: str | None  # set for LFS files
    pointer_size: int | None
    content: bytes | None  # cached when small

    @property
    def etag(self) -> str:
        return self.sha256 or self.blob_id

    def read(self, start: int = 0, end: int | None = None) -> bytes:
        """Bytes [start, end) of the file."""
        end = self.size if end is None else end
        if self.content is not None:
            return self.content[start:end]
        with open(self.disk_path, "rb") as fh:
            fh.seek(start)
            return fh.read(end - start)


@dataclass
class Repo:
    id: str
    meta: dict[str, Any]
    files: dict[str, FileEntry]
    sha: str
    record: dict[str, Any] = field(default_factory=dict)  # every listing/info key this repo has a value for
    refs: frozenset[str] = frozenset()
    allowed_tokens: frozenset[str] = frozenset()

    @property
    def gated(self) -> bool | str:
        return self.record.get("gated", False)

    @property
    def private(self) -> bool:
        return bool(self.record.get("private", False))

    def resolve_revision(self, rev: str) -> str | None:
        """Commit sha for a branch/tag/ref name, full sha, or short sha (≥ 7 hex); None if unknown."""
        if rev in self.refs or rev == self.sha:
            return self.sha
        if 7 <= len(rev) < 40 and re.fullmatch(r"[0-9a-f]+", rev) and self.sha.startswith(rev):
            return self.sha
        return None

    def sibling(self, entry: FileEntry, blobs: bool) -> dict[str, Any]:
        out: dict[str, Any] = {"rfilename": entry.path}
        if blobs:
            out["blobId"] = entry.blob_id
            out["size"] = entry.size
            if entry.sha256:
                out["lfs"] = {"sha256": entry.sha256, "size": entry.size, "pointerSize": entry.pointer_size}
        return out


def _iso_z(value: Any) -> str | None:
    """Normalize a timestamp to the Hub's ``YYYY-MM-DDTHH:MM:SS.fffZ`` (R-2.4)."""
    if value is None:
        return None
    text = str(value).strip()
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise SnapshotError(f"bad timestamp {value!r}") from exc
    if dt.tzinfo is not None:
        dt = dt.astimezone(timezone.utc).replace(tzinfo=None)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def timestamp_value(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).replace(tzinfo=timezone.utc).timestamp()


def _load_json_file(entry: FileEntry | None) -> Any:
    if entry is None:
        return None
    try:
        return json.loads(entry.read().decode("utf-8-sig"))
    except (ValueError, UnicodeDecodeError, OSError, RecursionError):  # a 200k-deep file: no config
        return None


def _token_str(value: Any) -> Any:
    if isinstance(value, dict) and "content" in value:
        return value["content"]
    return value


def curated_config(files: dict[str, FileEntry]) -> dict[str, Any] | None:
    """The Hub's curated ``config`` object (R-2.6): whitelisted keys only, never the raw config.json."""
    raw = _load_json_file(files.get("config.json"))
    adapter = _load_json_file(files.get("adapter_config.json"))
    if not isinstance(raw, dict) and not isinstance(adapter, dict):
        return None
    out: dict[str, Any] = {}
    if isinstance(raw, dict):
        for key in ("architectures", "model_type", "auto_map"):
            if key in raw:
                out[key] = raw[key]
        qc = raw.get("quantization_config")
        if isinstance(qc, dict):
            out["quantization_config"] = {k: qc[k] for k in _QUANT_KEYS if k in qc}
    tok = _load_json_file(files.get("tokenizer_config.json"))
    out["tokenizer_config"] = (
        {k: _token_str(tok[k]) for k in _TOKENIZER_KEYS if k in tok} if isinstance(tok, dict) else {}
    )
    if isinstance(adapter, dict):
        out["peft"] = {k: adapter[k] for k in ("base_model_name_or_path", "task_type") if k in adapter}
    return out


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list):
        return [v for v in value if v is not None]
    return [value]


def _base_models_from_card(
    base: list[str], card_dict: dict, files: dict[str, FileEntry], config: Any
) -> dict:
    """The Hub's ``baseModels`` for a card naming ``base``: the relation as written, else as the Hub infers it."""
    relation = card_dict.get("base_model_relation")
    if relation not in _BASE_RELATIONS:
        quantized = any(p.endswith(".gguf") for p in files) or (
            isinstance(config, dict) and "quantization_config" in config
        )
        if "adapter_config.json" in files:
            relation = "adapter"
        elif len(base) > 1:
            relation = "merge"
        elif quantized:
            relation = "quantized"
        else:
            relation = "finetune"
    return {"relation": relation, "models": [{"id": b} for b in base]}


def _tags(
    files: dict[str, FileEntry],
    config: Any,
    card_dict: dict,
    library: str | None,
    pipeline: str | None,
    base: list[str],
    base_models: Any,
) -> list[str]:
    """The tags the Hub derives for a repo with no listed tags: library, formats, card metadata, bases."""
    tags: list[str] = []

    def add(tag: Any) -> None:
        if isinstance(tag, (str, int, float)) and not isinstance(tag, bool) and str(tag) not in tags:
            tags.append(str(tag))

    add(library)
    if any(p.endswith(".safetensors") for p in files):
        add("safetensors")
    if any(p.endswith(".gguf") for p in files):
        add("gguf")
    if isinstance(config, dict):
        add(config.get("model_type"))
    add(pipeline)
    for t in _as_list(card_dict.get("tags")):
        add(t)
    for lang in _as_list(card_dict.get("language")):
        add(lang)
    for d in _as_list(card_dict.get("datasets")):
        if isinstance(d, str):
            add(f"dataset:{d}")
    for b in base:
        add(f"base_model:{b}")
        if base_models and isinstance(base_models, dict) and base_models.get("relation"):
            add(f"base_model:{base_models['relation']}:{b}")
    for lic in _as_list(card_dict.get("license")):
        if isinstance(lic, str):
            add(f"license:{lic}")
    add("region:us")
    return tags


def _derive(repo_id: str, meta: dict[str, Any], files: dict[str, FileEntry], sha: str) -> dict[str, Any]:
    """Every key the repo has a value for, in the Hub's full-listing key order. None = absent."""
    readme = files.get("README.md")
    card = meta["cardData"] if "cardData" in meta else (parse_card_data(readme.read()) if readme else None)
    card_dict = card if isinstance(card, dict) else {}
    config = meta["config"] if "config" in meta else curated_config(files)

    library = meta.get("library_name") or card_dict.get("library_name")
    if not library and isinstance(config, dict) and ("model_type" in config or "architectures" in config):
        library = "transformers"
    if not library and "adapter_config.json" in files:
        library = "peft"
    pipeline = meta.get("pipeline_tag") or card_dict.get("pipeline_tag")

    base = [str(b) for b in _as_list(card_dict.get("base_model")) if isinstance(b, str)]
    base_models = meta.get("baseModels")
    if base_models is None and base:
        base_models = _base_models_from_card(base, card_dict, files, config)
    tags = (
        list(meta["tags"])
        if "tags" in meta
        else _tags(files, config, card_dict, library, pipeline, base, base_models)
    )

    gated = meta.get("gated", False)
    if gated not in (False, "auto", "manual"):
        gated = "auto" if gated is True else False
    author = meta.get("author") or (repo_id.split("/")[0] if "/" in repo_id else None)
    safetensors = meta.get("safetensors")
    if safetensors is not None and not ({"parameters", "total"} <= set(safetensors)):
        raise SnapshotError(f"{repo_id}: safetensors needs both 'parameters' and 'total'")

    rec: dict[str, Any] = {
        "_id": meta.get("_id") or hashlib.sha1(repo_id.encode()).hexdigest()[:24],
        "id": repo_id,
        "author": author,
        "gated": gated,
        "lastModified": _iso_z(meta.get("lastModified")),
        "likes": meta.get("likes"),
        "trendingScore": meta.get("trendingScore"),
        "private": bool(meta.get("private", False)),
        "sha": sha,
        "downloads": meta.get("downloads"),
        "downloadsAllTime": meta.get("downloadsAllTime"),
        "tags": tags,
        "pipeline_tag": pipeline,
        "library_name": library,
        "createdAt": _iso_z(meta.get("createdAt")),
        "modelId": repo_id,
        "disabled": bool(meta.get("disabled", False)),
        "config": config,
        "cardData": card if isinstance(card, dict) else None,
        "baseModels": base_models,
        "safetensors": safetensors,
        "gguf": meta.get("gguf"),
        "spaces": meta.get("spaces", []),
        "usedStorage": sum(f.size for f in files.values()),
        "xetEnabled": False,
    }
    if "model-index" in card_dict:
        rec["model-index"] = card_dict["model-index"]
    for key in (
        "childrenModelCount", "evalResults", "inference", "inferenceProviderMapping", "mask_token",
        "resourceGroup", "transformersInfo", "widgetData", "model-index",
    ):  # fmt: skip
        if key in meta:
            rec[key] = meta[key]
    return {k: v for k, v in rec.items() if v is not None}


def _load_files(files_dir: Path) -> dict[str, FileEntry]:
    entries: dict[str, FileEntry] = {}
    if not files_dir.is_dir():
        return entries
    for dirpath, dirnames, filenames in os.walk(files_dir, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not os.path.islink(os.path.join(dirpath, d)))
        for name in sorted(filenames):
            disk = Path(dirpath) / name
            if disk.is_symlink() or not disk.is_file():
                continue
            rel = disk.relative_to(files_dir).as_posix()
            if not _valid_file_path(rel):
                continue
            data = disk.read_bytes()
            size = len(data)
            is_lfs = rel.endswith(LFS_SUFFIXES) or size >= LFS_MIN_SIZE
            sha256 = hashlib.sha256(data).hexdigest() if is_lfs else None
            pointer = lfs_pointer(sha256, size) if sha256 else None
            entries[rel] = FileEntry(
                path=rel,
                disk_path=disk,
                size=size,
                blob_id=git_blob_sha1(pointer if pointer else data),
                sha256=sha256,
                pointer_size=len(pointer) if pointer else None,
                content=data if size <= _MEM_CACHE_MAX else None,
            )
    return entries


def _load_repo(repo_id: str, repo_dir: Path) -> Repo:
    meta_path = repo_dir / "meta.json"
    meta: dict[str, Any] = {}
    if meta_path.is_file():
        try:
            meta = json.loads(meta_path.read_text("utf-8"))
        except ValueError as exc:
            raise SnapshotError(f"{meta_path}: invalid JSON ({exc})") from exc
        if not isinstance(meta, dict):
            raise SnapshotError(f"{meta_path}: must be a JSON object")
    files = _load_files(repo_dir / "files")
    sha = meta.get("sha")
    if sha is None:
        h = hashlib.sha1()
        for path in sorted(files):
            h.update(f"{path}\x00{files[path].blob_id}\n".encode())
        sha = h.hexdigest()
    if not re.fullmatch(r"[0-9a-f]{40}", str(sha)):
        raise SnapshotError(f"{repo_id}: sha must be 40 lowercase hex digits")
    refs = frozenset({"main", "HEAD", *meta.get("refs", [])})
    repo = Repo(
        id=repo_id,
        meta=meta,
        files=files,
        sha=sha,
        refs=refs,
        allowed_tokens=frozenset(meta.get("allowed_tokens", [])),
    )
    repo.record = _derive(repo_id, meta, files, sha)
    return repo


@dataclass
class Snapshot:
    root: Path
    repos: dict[str, Repo]
    aliases: dict[str, str]  # old id -> current id
    order: list[Repo]  # sorted by _id

    def find(self, repo_id: str) -> Repo | None:
        return self.repos.get(repo_id)


def load_snapshot(root: str | os.PathLike[str]) -> Snapshot:
    """Read a snapshot directory into memory. Raises SnapshotError when it is missing or malformed."""
    root = Path(root)
    repos_dir = root / "repos"
    if not repos_dir.is_dir():
        raise SnapshotError(f"{root}: not a Hub snapshot (no 'repos/' directory)")
    repos: dict[str, Repo] = {}
    for first in sorted(repos_dir.iterdir()):
        if not first.is_dir() or first.is_symlink() or not _valid_segment(first.name):
            continue
        if (first / "meta.json").exists() or (first / "files").is_dir():
            repos[first.name] = _load_repo(first.name, first)
            continue
        for second in sorted(first.iterdir()):
            if second.is_dir() and not second.is_symlink() and _valid_segment(second.name):
                rid = f"{first.name}/{second.name}"
                repos[rid] = _load_repo(rid, second)
    aliases: dict[str, str] = {}
    for repo in repos.values():
        for old in repo.meta.get("aliases", []):
            if valid_repo_id(old) and old not in repos:
                aliases[old] = repo.id
    order = sorted(repos.values(), key=lambda r: r.record["_id"])
    return Snapshot(root=root, repos=repos, aliases=aliases, order=order)


def write_repo(
    snapshot_dir: str | os.PathLike[str],
    repo_id: str,
    files: dict[str, bytes | str] | None = None,
    meta: dict[str, Any] | None = None,
) -> Path:
    """Create or replace a repo in a snapshot (test helper). Returns the repo directory.

    ``files`` maps repo-relative paths to content (str is UTF-8 encoded); it replaces the repo's whole file
    tree. ``meta`` is written as meta.json (listing fields, see docs/MIRROR.md). Either may be None to keep
    what is there.
    """
    if not valid_repo_id(repo_id):
        raise ValueError(f"invalid repo id {repo_id!r}")
    repo_dir = Path(snapshot_dir) / "repos" / repo_id
    repo_dir.mkdir(parents=True, exist_ok=True)
    if files is not None:
        files_dir = repo_dir / "files"
        if files_dir.exists():
            for dirpath, _dirnames, filenames in os.walk(files_dir, topdown=False):
                for name in filenames:
                    os.unlink(os.path.join(dirpath, name))
                os.rmdir(dirpath)
        files_dir.mkdir()
        for rel, content in files.items():
            if not _valid_file_path(rel):
                raise ValueError(f"invalid file path {rel!r}")
            target = files_dir / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content.encode("utf-8") if isinstance(content, str) else bytes(content))
    if meta is not None:
        (repo_dir / "meta.json").write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n", "utf-8")
    return repo_dir


class ListingSnapshot:
    """A listing-only Hub from a JSON-lines file of listing records (``.jsonl`` or ``.jsonl.gz``).

    Records are kept as their JSON lines (about 270 MB for the 760,000 real 2024 records) and parsed when a
    page is served, so the mirror can serve the real Hub's scale. The file's order is the default order;
    sort orders are built on first use from the keys the records have. Repos have no files (a resolve is
    404) and no aliases. Lines that are not JSON objects are skipped and counted in ``skipped``.
    """

    def __init__(self, path: str | os.PathLike[str]):
        self.root = Path(path)
        opener = gzip.open if self.root.suffix == ".gz" else open
        self.lines: list[bytes] = []
        self.skipped = 0
        try:
            with opener(self.root, "rb") as fh:
                for line in fh:
                    line = line.strip()
                    if line.startswith(b"{"):
                        self.lines.append(line)
                    elif line:
                        self.skipped += 1
        except OSError as exc:
            raise SnapshotError(f"{self.root}: cannot read listing file: {exc}") from exc
        self.aliases: dict[str, str] = {}
        self._ids: dict[str, int] | None = None
        self._lock = threading.Lock()

    def record(self, index: int) -> dict[str, Any]:
        try:
            record = json.loads(self.lines[index])
        except ValueError:
            record = None
        if not isinstance(record, dict):
            return {"_id": f"{index:024x}", "id": None}
        record.setdefault("_id", f"{index:024x}")
        return record

    def repo(self, index: int) -> Repo:
        record = self.record(index)
        repo_id = record.get("id")
        return Repo(id=repo_id if isinstance(repo_id, str) else "", meta={}, files={}, sha="", record=record)

    def find(self, repo_id: str) -> Repo | None:
        with self._lock:
            if self._ids is None:
                self._ids = {}
                for i, line in enumerate(self.lines):
                    match = _ID_FIELD.search(line)
                    if match:
                        self._ids.setdefault(json.loads(b'"' + match.group(1) + b'"'), i)
        index = self._ids.get(repo_id)
        return None if index is None else self.repo(index)

    @property
    def repos(self) -> dict[str, Repo]:
        """Every repo by id (for ``MirrorServer.repo_ids``; parses the whole file)."""
        return {repo.id: repo for repo in (self.repo(i) for i in range(len(self.lines)))}

    def sort_values(self, key: str) -> list[float | None]:
        """Each record's value for a sort key (timestamps as epoch seconds), None where it has none."""
        values: list[float | None] = []
        for i in range(len(self.lines)):
            value = self.record(i).get(key)
            try:
                values.append(
                    None
                    if value is None
                    else timestamp_value(value)
                    if isinstance(value, str)
                    else float(value)
                )
            except (TypeError, ValueError):
                values.append(None)
        return values


_ID_FIELD = re.compile(rb'"id"\s*:\s*"((?:[^"\\]|\\.)*)"')


def load_listing(path: str | os.PathLike[str]) -> ListingSnapshot:
    return ListingSnapshot(path)

"""Index what a user already has offline: the local HF cache, or a folder of model repos.

Both sources yield the same ``Listing`` records as the Hub source, with the file bytes attached, so the
crawler stores and derives them exactly as it does for a Hub crawl. The ``sha`` of a folder repo is the
hash of its indexed files, so re-indexing an unchanged folder refetches nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

from hubscan.errors import SourceError
from hubscan.records import FetchedFile, Listing

INDEXED_FILES = ("config.json", "README.md")
MAX_LOCAL_FILE_BYTES = 5 * 1024 * 1024


def local_source(spec: str):
    if spec == "cache":
        return CacheSource()
    if spec.startswith("dir:"):
        return DirSource(Path(spec[4:]))
    raise SourceError(f"Unknown source {spec!r}: use hub, cache or dir:PATH", kind="usage")


class _LocalSource:
    kind = "local"

    def fetch_file(self, repo_id: str, path: str, revision: str | None) -> FetchedFile:  # pragma: no cover
        raise SourceError(f"{path} is not present locally for {repo_id}", kind="missing")

    def _listing(self, repo_id: str, folder: Path, sha: str | None = None, **fields) -> Listing | None:
        files = {}
        for name in INDEXED_FILES:
            candidate = folder / name
            # Only regular files (or the cache's symlinks to blobs) directly inside the repo folder.
            if candidate.is_file():
                size = candidate.stat().st_size
                files[name] = candidate.read_bytes() if size <= MAX_LOCAL_FILE_BYTES else b""
        if not files:
            return None
        if sha is None:
            digest = hashlib.sha1()
            for name in sorted(files):
                digest.update(name.encode() + b"\0" + files[name])
            sha = digest.hexdigest()
        author = repo_id.split("/")[0] if "/" in repo_id else None
        return Listing(
            id=repo_id, sha=sha, author=author, siblings=sorted(files), local_files=files, **fields
        )


class CacheSource(_LocalSource):
    """Repos in the Hugging Face cache (``scan_cache_dir``), at the revision ``main`` points to."""

    def __init__(self, cache_dir: str | Path | None = None):
        self.cache_dir = cache_dir

    def describe(self) -> str:
        return f"cache:{self.cache_dir or 'default'}"

    def iter_models(self, *, author=None, search=None, filters=None, limit=None) -> Iterator[Listing]:
        from huggingface_hub import scan_cache_dir
        from huggingface_hub.errors import CacheNotFound

        try:
            info = scan_cache_dir(self.cache_dir)
        except CacheNotFound as exc:
            raise SourceError(f"No Hugging Face cache found: {exc}", kind="usage") from exc
        count = 0
        for repo in sorted(info.repos, key=lambda r: r.repo_id):
            if repo.repo_type != "model" or not _matches(repo.repo_id, author, search):
                continue
            revision = repo.refs.get("main") or max(
                repo.revisions, key=lambda r: r.last_modified, default=None
            )
            if revision is None:
                continue
            listing = self._listing(repo.repo_id, Path(revision.snapshot_path), sha=revision.commit_hash)
            if listing is None:
                continue
            yield listing
            count += 1
            if limit and count >= limit:
                return


class DirSource(_LocalSource):
    """A folder of model repos: ``ROOT/<owner>/<name>/config.json`` or ``ROOT/<name>/config.json``."""

    def __init__(self, root: Path):
        if not root.is_dir():
            raise SourceError(f"dir:{root} is not a directory", kind="usage")
        self.root = root

    def describe(self) -> str:
        return f"dir:{self.root}"

    def iter_models(self, *, author=None, search=None, filters=None, limit=None) -> Iterator[Listing]:
        count = 0
        for folder in sorted(self._repo_folders()):
            repo_id = folder.relative_to(self.root).as_posix()
            if not _matches(repo_id, author, search):
                continue
            listing = self._listing(repo_id, folder)
            if listing is None:
                continue
            yield listing
            count += 1
            if limit and count >= limit:
                return

    def _repo_folders(self) -> Iterator[Path]:
        # Depth 1 (name) and depth 2 (owner/name); symlinked folders are not followed out of the root.
        for first in self.root.iterdir():
            if not first.is_dir() or first.is_symlink() or first.name.startswith("."):
                continue
            if any((first / name).is_file() for name in INDEXED_FILES):
                yield first
                continue
            for second in first.iterdir():
                if second.is_dir() and not second.is_symlink() and not second.name.startswith("."):
                    yield second


def _matches(repo_id: str, author: str | None, search: str | None) -> bool:
    if author and repo_id.split("/")[0] != author:
        return False
    return not (search and search.lower() not in repo_id.lower())

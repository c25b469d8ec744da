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
    """Shared reading of a repo folder, confined to a root folder (the `dir:` folder, or the cache repo).

    A file that cannot be indexed (a symlink leading out of the root, a file over the size limit, an
    unreadable file) is listed as present but carries no bytes: the crawler then asks ``fetch_file`` for it,
    which raises the recorded reason, so it becomes a ``crawl_errors`` row like any Hub failure.
    """

    kind = "local"
    max_file_bytes = MAX_LOCAL_FILE_BYTES

    def __init__(self) -> None:
        self._refused: dict[tuple[str, str], tuple[str, str]] = {}  # (repo, file) -> (kind, reason)

    def fetch_file(self, repo_id: str, path: str, revision: str | None) -> FetchedFile:
        refused = self._refused.get((repo_id, path))
        if refused is not None:
            raise SourceError(refused[1], kind=refused[0])
        raise SourceError(f"{path} is not present locally for {repo_id}", kind="missing")

    def _read(self, candidate: Path, root: Path) -> bytes | tuple[str, str]:
        """The file's bytes, or (kind, reason) when it is refused."""
        resolved = candidate.resolve()
        root = root.resolve()
        if not resolved.is_relative_to(root):
            return "outside_root", f"{candidate.name} is a link to {resolved}, outside {root}: not read"
        try:
            with resolved.open("rb") as fh:
                data = fh.read(self.max_file_bytes + 1)
        except OSError as exc:
            return "error", f"cannot read {candidate.name}: {exc.strerror or exc}"
        if len(data) > self.max_file_bytes:
            size = resolved.stat().st_size
            return "too_large", f"file is {size:,} bytes, over the {self.max_file_bytes:,}-byte limit"
        return data

    def _listing(
        self, repo_id: str, folder: Path, root: Path, sha: str | None = None, **fields
    ) -> Listing | None:
        files: dict[str, bytes] = {}
        refused: dict[str, tuple[str, str]] = {}
        for name in INDEXED_FILES:
            candidate = folder / name
            # Regular files (or the cache's symlinks to its blobs) directly inside the repo folder.
            if not (candidate.is_file() or candidate.is_symlink()):
                continue
            result = self._read(candidate, root)
            if isinstance(result, bytes):
                files[name] = result
            else:
                refused[name] = result
        if not files and not refused:
            return None
        for name, reason in refused.items():
            self._refused[(repo_id, name)] = reason
        if sha is None:
            digest = hashlib.sha1()
            for name in sorted(files):
                digest.update(name.encode() + b"\0" + files[name])
            for name in sorted(refused):
                digest.update(name.encode() + b"\1" + refused[name][0].encode())
            sha = digest.hexdigest()
        author = repo_id.split("/")[0] if "/" in repo_id else None
        siblings = sorted([*files, *refused])
        return Listing(id=repo_id, sha=sha, author=author, siblings=siblings, local_files=files, **fields)


class CacheSource(_LocalSource):
    """Repos in the Hugging Face cache (``scan_cache_dir``), at the revision ``main`` points to."""

    def __init__(self, cache_dir: str | Path | None = None):
        super().__init__()
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
            # Snapshot files link to blobs of the same repo folder: that folder is the root.
            snapshot = Path(revision.snapshot_path)
            listing = self._listing(repo.repo_id, snapshot, Path(repo.repo_path), sha=revision.commit_hash)
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
        super().__init__()
        self.root = root

    def describe(self) -> str:
        return f"dir:{self.root}"

    def iter_models(self, *, author=None, search=None, filters=None, limit=None) -> Iterator[Listing]:
        count = 0
        for folder in sorted(self._repo_folders()):
            repo_id = folder.relative_to(self.root).as_posix()
            if not _matches(repo_id, author, search):
                continue
            listing = self._listing(repo_id, folder, self.root)
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

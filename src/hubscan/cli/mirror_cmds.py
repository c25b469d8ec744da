"""Commands: ``hubscan mirror serve`` runs the local Hub stand-in (docs/MIRROR.md)."""

from __future__ import annotations

import ipaddress
import signal
import socket
from pathlib import Path

import click

from hubscan.cli import cli
from hubscan.mirror import MirrorServer, SnapshotError, load_faults, sample_hub_path


@cli.group()
def mirror():
    """A local, loopback-only Hugging Face Hub API for tests and benchmarks."""


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        try:
            return all(ipaddress.ip_address(a[4][0]).is_loopback for a in socket.getaddrinfo(host, None))
        except (OSError, ValueError):
            return False


@mirror.command()
@click.argument("snapshot_dir", metavar="[SNAPSHOT_DIR]", required=False)
@click.option(
    "--listing",
    "listing_file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Serve a listing-only Hub from a JSON-lines file of listing records (.jsonl or .jsonl.gz) instead "
    "of a snapshot directory.",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind (loopback only).")
@click.option("--port", type=int, default=0, show_default=True, help="Port; 0 picks a free one.")
@click.option("--page-size", type=click.IntRange(1, 1000), default=1000, show_default=True)
@click.option("--latency-ms", type=click.FloatRange(min=0), default=0, show_default=True)
@click.option(
    "--faults", "faults_file", type=click.Path(dir_okay=False, path_type=Path), help="Fault plan (JSON)."
)
@click.option(
    "--log",
    "log_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Append requests as JSON lines.",
)
@click.option("--stall-seconds", type=click.FloatRange(min=0), default=30, show_default=True)
@click.option("--rate-limit-window", type=click.FloatRange(min=0.001), default=300, show_default=True)
@click.option("--rate-limit-api", type=click.IntRange(min=0), default=500, show_default=True)
@click.option("--rate-limit-resolvers", type=click.IntRange(min=0), default=3000, show_default=True)
@click.option("--rate-limit-pages", type=click.IntRange(min=0), default=100, show_default=True)
@click.option(
    "--resolve-flow",
    type=click.Choice(["recorded", "direct"]),
    default="recorded",
    show_default=True,
    help="recorded: resolve answers as the Hub does (307 to /api/resolve-cache/…, then 200; LFS 302). "
    "direct: resolve answers 200 with the file itself (not the Hub's flow; one round trip per file, for "
    "benchmarks against a one-request-per-file floor).",
)
@click.option("--allow-remote", is_flag=True, help="Allow binding a non-loopback interface.")
def serve(
    snapshot_dir,
    listing_file,
    host,
    port,
    page_size,
    latency_ms,
    faults_file,
    log_file,
    stall_seconds,
    rate_limit_window,
    rate_limit_api,
    rate_limit_resolvers,
    rate_limit_pages,
    resolve_flow,
    allow_remote,
):
    """Serve SNAPSHOT_DIR (or the word ``sample`` for the bundled snapshot, or --listing FILE) until Ctrl-C /
    SIGTERM."""
    if not allow_remote and not _is_loopback(host):
        raise click.UsageError(f"refusing to bind non-loopback host {host!r} (pass --allow-remote)")
    if (snapshot_dir is None) == (listing_file is None):
        raise click.UsageError("give either SNAPSHOT_DIR or --listing FILE")
    if listing_file is not None:
        path = listing_file
    else:
        path = sample_hub_path() if snapshot_dir == "sample" else Path(snapshot_dir)
        if not path.is_dir():
            raise click.BadParameter(f"{path}: no such directory", param_hint="SNAPSHOT_DIR")
    faults = None
    if faults_file is not None:
        try:
            faults = load_faults(faults_file)
        except (OSError, ValueError, TypeError) as exc:
            raise click.BadParameter(str(exc), param_hint="--faults") from exc
    try:
        server = MirrorServer(
            path,
            host=host,
            port=port,
            page_size=page_size,
            latency_ms=latency_ms,
            faults=faults,
            rate_limits={
                "window": rate_limit_window,
                "api": rate_limit_api,
                "resolvers": rate_limit_resolvers,
                "pages": rate_limit_pages,
            },
            log_path=log_file,
            stall_seconds=stall_seconds,
            resolve_flow=resolve_flow,
        )
    except SnapshotError as exc:
        raise click.ClickException(f"invalid snapshot: {exc}") from exc
    try:
        server.start()
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc}") from exc
    n = server.repo_count
    click.echo(f"Serving {n} repos from {path} on {server.url}", nl=True)
    click.get_text_stream("stdout").flush()

    def _terminate(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.stop()
        click.echo("mirror stopped", err=True)

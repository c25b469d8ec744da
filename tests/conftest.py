"""Shared test setup.

huggingface_hub reads HF_ENDPOINT, HF_HOME and telemetry settings once, at import: they are set here, before
any test module imports it, so no test can reach huggingface.co or touch the user's own cache. Tests point
the client at a loopback mirror explicitly (HfApi(endpoint=...) / HubSource(endpoint=...)).
"""

import os
import sys
import tempfile

_HF_HOME = tempfile.mkdtemp(prefix="hubscan-test-hf-home-")
os.environ["HF_HOME"] = _HF_HOME
os.environ["HF_HUB_CACHE"] = os.path.join(_HF_HOME, "hub")
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
os.environ["HF_HUB_DISABLE_IMPLICIT_TOKEN"] = "1"
os.environ.pop("HF_TOKEN", None)
# Anything that forgets an explicit endpoint fails fast on a closed loopback port instead of going online.
os.environ.setdefault("HF_ENDPOINT", "http://127.0.0.1:9")

import pytest  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402

# The machines are shared: how fast Hypothesis generates inputs depends on the load, not on the code under test.
# Its "too slow" health check would fail CI at random, so it is off; every other health check stays on.
settings.register_profile("hubscan", suppress_health_check=[HealthCheck.too_slow], deadline=None)
settings.load_profile("hubscan")


@pytest.fixture(scope="session")
def sample_catalog(tmp_path_factory):
    """A catalog crawled from the bundled sample Hub through the real client, derived tables filled."""
    from hubscan.crawl import CrawlOptions, crawl
    from hubscan.mirror import MirrorServer, sample_hub_path
    from hubscan.source.hub import HubSource
    from hubscan.store import open_db

    path = tmp_path_factory.mktemp("sample-catalog") / "hubscan.db"
    with MirrorServer(sample_hub_path()) as hub:
        db = open_db(path)
        stats = crawl(db, HubSource(endpoint=hub.url), CrawlOptions(cards="full", workers=4))
        db.close()
    assert stats.status == "finished", stats.summary()
    return path


@pytest.fixture
def no_torch(monkeypatch):
    """The default install: ``import transformers`` / ``import torch`` raise ImportError."""
    from hubscan.estimate import meta

    for name in ("transformers", "torch"):
        monkeypatch.setitem(sys.modules, name, None)
    meta.available.cache_clear()
    with pytest.raises(ImportError):
        import transformers  # noqa: F401
    with pytest.raises(ImportError):
        import torch  # noqa: F401
    assert not meta.available()
    yield
    meta.available.cache_clear()

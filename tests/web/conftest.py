"""Fixtures for the workbench: a copy of the example call and a signed-in test client."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "kreative-partnerskaber"
TOKEN = "test-token-0123456789abcdef"
PORT = 8765
BASE = f"http://127.0.0.1:{PORT}"


def copy_call(base: Path) -> Path:
    """A copy of the example call under ``base`` (without run folders; the criteria folder beside
    it, as the call file expects); returns the call folder."""
    dest = base / "examples" / "kreative-partnerskaber"
    shutil.copytree(EXAMPLE, dest, ignore=shutil.ignore_patterns("runs"))
    shutil.copytree(EXAMPLE.parents[1] / "criteria", base / "criteria")
    return dest


def client_for(call_dir: Path, runs_dir: Path | None = None, *, signed_in: bool = True):
    from starlette.testclient import TestClient

    from selection.web import create_app

    app = create_app(call_dir, token=TOKEN, port=PORT, runs_dir=runs_dir, warm=False)
    client = TestClient(app, base_url=BASE)
    if signed_in:
        client.cookies.set("selection_token", TOKEN)
    return client


@pytest.fixture(scope="module")
def web_call(tmp_path_factory) -> Path:
    return copy_call(tmp_path_factory.mktemp("web"))


@pytest.fixture(scope="module")
def client(web_call):
    with client_for(web_call, web_call.parent / "runs") as c:
        yield c


@pytest.fixture
def csrf() -> dict[str, str]:
    from selection.web.security import csrf_token

    return {"X-CSRF-Token": csrf_token(TOKEN)}

"""Suite-wide fixtures: the column cache of every store the tests open goes to a temporary
directory, never to the user's ``~/.cache/inspector``."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True, scope="session")
def _column_cache_dir(tmp_path_factory):
    os.environ["INSPECTOR_CACHE_DIR"] = str(tmp_path_factory.mktemp("inspector-cache"))
    yield

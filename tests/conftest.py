"""Shared fixtures: paths to test data and the shared reference folder."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

DATA = Path(__file__).parent / "data"

# The cache of validated questionnaires and engagements (assessment.records) goes to a
# folder of this test run's own, not the user's: the suite validates hundreds of files.
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="assess-tests-cache-")
SHARED = Path(__file__).resolve().parents[2] / "shared"


@pytest.fixture
def data_dir() -> Path:
    return DATA


@pytest.fixture
def worked_yaml() -> Path:
    return DATA / "worked.yaml"


@pytest.fixture
def shared_dir() -> Path:
    # Only tests marked `shared` use this; they are deselected unless asked for, so a
    # missing folder is a failure, not a skip.
    assert SHARED.is_dir(), f"tests marked 'shared' need {SHARED} beside this checkout"
    return SHARED


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()

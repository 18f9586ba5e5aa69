"""The package ships everything a normal (non-editable) install needs."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_code_package_is_listed_in_pyproject():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {
        ".".join(p.parent.relative_to(ROOT).parts)
        for p in (ROOT / "assessment").rglob("*.py")
        if "__pycache__" not in p.parts
    }
    missing = found - listed
    assert not missing, f"add to [tool.setuptools] packages: {sorted(missing)}"


def test_bundled_folders_resolve():
    from assessment import resources

    assert (resources.questionnaires_dir() / "ai-friction.yaml").is_file()
    assert resources.templates_dir().is_dir()


def test_public_api_names_resolve():
    import assessment

    for name in assessment.__all__:
        assert getattr(assessment, name) is not None, name


def test_the_package_holds_no_test_or_tool_code():
    """Synthetic data and export writers are test tools: they live in tests/support, not in the wheel."""
    shipped = {p.stem for p in (ROOT / "assessment").rglob("*.py")}
    assert not shipped & {"synth", "exports", "demo_samples"}
    for path in (ROOT / "assessment").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "ASSESS_TEST" not in text and "PAUSE_HOOK" not in text, path

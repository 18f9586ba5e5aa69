"""Issue 17, the ergonomics: what a new user types, run through the real CLI on real workspaces."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from assessment.cli import cli


def run(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None):
    runner = CliRunner()
    old = os.getcwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        return runner.invoke(cli, list(args), env=env, catch_exceptions=False, prog_name="assess")
    finally:
        os.chdir(old)


@pytest.fixture(scope="module")
def demo_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A populated workspace, built once for the module (assess demo takes ~20 s)."""
    out = tmp_path_factory.mktemp("demo") / "assess-demo"
    result = run("demo", "--out", str(out))
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    result = run("init", str(tmp_path / "acme"), "--client", "Acme")
    assert result.exit_code == 0, result.output
    return tmp_path / "acme"


@pytest.fixture
def demo_copy(demo_ws: Path, tmp_path: Path) -> Path:
    """A copy of the demo workspace a test may change."""
    return Path(shutil.copytree(demo_ws, tmp_path / "copy"))


# -- -w after the command, ASSESS_WORKSPACE, misplaced options -------------------------------


def test_workspace_after_the_command(demo_ws: Path) -> None:
    before = run("-w", str(demo_ws), "round", "list")
    after = run("round", "list", "-w", str(demo_ws))
    assert before.exit_code == after.exit_code == 0
    assert before.stdout == after.stdout and "baseline" in after.stdout
    for args in (["responses"], ["score", "--format", "json"], ["plan", "--format", "json"],
                 ["responses", "export"], ["questionnaire", "show", "--format", "json"], ["guide"]):
        result = run(*args, "--workspace", str(demo_ws))
        assert result.exit_code == 0, (args, result.output)


def test_workspace_after_a_subcommand_of_a_group(demo_ws: Path) -> None:
    a = run("responses", "-w", str(demo_ws), "export")
    b = run("responses", "export", "-w", str(demo_ws))
    assert a.exit_code == b.exit_code == 0 and a.stdout == b.stdout


def test_every_workspace_command_accepts_w_after_it() -> None:
    needs = {("template",), ("import",), ("responses",), ("responses", "remove"), ("responses", "export"),
             ("round", "new"), ("round", "list"), ("round", "use"), ("score",), ("plan",), ("report",),
             ("workshop",), ("guide",), ("questionnaire", "show")}
    for path in needs:
        command = cli
        for name in path:
            command = command.commands[name]
        assert any("--workspace" in p.opts and "-w" in p.opts for p in command.params), path


def test_environment_variable_names_the_workspace(demo_ws: Path, tmp_path: Path) -> None:
    result = run("round", "list", env={"ASSESS_WORKSPACE": str(demo_ws)}, cwd=tmp_path)
    assert result.exit_code == 0 and "baseline" in result.stdout
    # -w (anywhere) wins over the variable, without a conflict.
    other = run("init", str(tmp_path / "other"), "--client", "Other")
    assert other.exit_code == 0
    result = run("round", "list", "-w", str(tmp_path / "other"), "--format", "json",
                 env={"ASSESS_WORKSPACE": str(demo_ws)})
    assert json.loads(result.stdout)[0]["respondents"] == 0


def test_conflicting_workspaces_are_a_usage_error(demo_ws: Path, ws: Path) -> None:
    result = run("-w", str(demo_ws), "score", "-w", str(ws))
    assert result.exit_code == 2
    assert "different folders" in result.output
    same = run("-w", str(demo_ws), "round", "list", "-w", str(demo_ws))
    assert same.exit_code == 0


def test_misplaced_options_say_where_they_go(demo_ws: Path) -> None:
    result = run("score", "--debug", "-w", str(demo_ws))
    assert result.exit_code == 2
    assert "--debug is an option of `assess`: put it before `score`" in result.output
    result = run("--format", "json", "score")
    assert result.exit_code == 2
    assert "put it after the command's name, e.g. `assess score --format ...`" in result.output
    result = run("responses", "remove", "--list", "x")
    assert result.exit_code == 2 and "--list is an option of `assess responses`: put it before `remove`" in result.output
    result = run("init", "x", "--client", "y", "-w", "acme")
    assert result.exit_code == 2 and "`assess init` does not use a workspace" in result.output


# -- --format table|json|csv everywhere; --json still works -------------------------------------


def _csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize("args", [["responses"], ["questionnaire", "list"], ["round", "list"], ["plan"],
                                  ["score"]])
def test_the_same_format_option_everywhere(demo_ws: Path, args: list[str]) -> None:
    ws = [] if args[0] == "questionnaire" else ["-w", str(demo_ws)]
    outputs = {}
    for fmt in ("table", "json", "csv"):
        result = run(*ws, *args, "--format", fmt)
        assert result.exit_code == 0, (args, fmt, result.output)
        outputs[fmt] = result.stdout
    json.loads(outputs["json"])
    assert _csv_rows(outputs["csv"])
    assert run(*ws, *args).stdout == outputs["table"]  # table is the default


def test_csv_shapes(demo_ws: Path) -> None:
    people = _csv_rows(run("-w", str(demo_ws), "responses", "--format", "csv").stdout)
    assert len(people) == 90 and set(people[0]) == {"id", "role", "unit", "source_file", "source_row", "flags"}
    rounds = _csv_rows(run("-w", str(demo_ws), "round", "list", "--format", "csv").stdout)
    assert rounds[0]["name"] == "baseline" and rounds[0]["respondents"] == "90"
    actions = _csv_rows(run("-w", str(demo_ws), "plan", "--format", "csv").stdout)
    plan = json.loads(run("-w", str(demo_ws), "plan", "--format", "json").stdout)
    assert [a["id"] for a in actions] == [a["id"] for a in plan["actions"]]
    scenarios = _csv_rows(run("-w", str(demo_ws), "plan", "--compare", "0.3", "0.5", "--format", "csv").stdout)
    assert [s["max_shift"] for s in scenarios] == ["0.3", "0.5"]


@pytest.mark.parametrize("args", [["responses"], ["round", "list"]])
def test_json_flag_is_a_deprecated_alias(demo_ws: Path, args: list[str]) -> None:
    old = run("-w", str(demo_ws), *args, "--json")
    new = run("-w", str(demo_ws), *args, "--format", "json")
    assert old.exit_code == 0 and old.stdout == new.stdout
    both = run("-w", str(demo_ws), *args, "--json", "--format", "csv")
    assert both.exit_code == 2
    command = cli
    for name in args:
        command = command.commands[name]
    assert all(p.hidden for p in command.params if "--json" in getattr(p, "opts", []))


def test_import_json_alias(ws: Path, demo_ws: Path) -> None:
    file = str(demo_ws / "returns" / "northwind-google-forms.csv")
    old = run("-w", str(ws), "import", "--dry-run", "--json", file)
    new = run("-w", str(ws), "import", "--dry-run", "--format", "json", file)
    assert old.exit_code == new.exit_code == 0, new.output
    assert old.stdout == new.stdout and json.loads(new.stdout)


# -- --explain and --unit by id, title or prefix -----------------------------------------------


def test_explain_accepts_ids_titles_and_prefixes(demo_ws: Path) -> None:
    ws = ["-w", str(demo_ws)]
    for text in ("governance", "GOV", "Governance vs model velocity", "governance VS", "mon"):
        result = run(*ws, "score", "--explain", text, "--format", "json")
        assert result.exit_code == 0, (text, result.output)
    assert json.loads(run(*ws, "score", "--explain", "Gov", "--format", "json").stdout)["dimension"] == "governance"
    unknown = run(*ws, "score", "--explain", "nonsense")
    assert unknown.exit_code == 1
    assert "unknown dimension `nonsense`; dimensions: governance, integration" in unknown.output


def test_ambiguous_prefix_is_refused(demo_ws: Path) -> None:
    from assessment.errors import AssessmentError
    from assessment.pipeline import resolve_name

    with pytest.raises(AssessmentError, match="ambiguous"):
        resolve_name("s", {"skills": ["skills"], "scale": ["scale"]}, "dimension")


def test_unit_accepts_names_and_prefixes(demo_ws: Path) -> None:
    ws = ["-w", str(demo_ws)]
    full = run(*ws, "score", "--unit", "Personal Lines", "--format", "json", "--resamples", "100")
    short = run(*ws, "score", "--unit", "personal", "--format", "json", "--resamples", "100")
    assert full.exit_code == short.exit_code == 0
    assert full.stdout == short.stdout
    unknown = run(*ws, "score", "--unit", "Nowhere")
    assert unknown.exit_code == 1
    assert "unknown unit `Nowhere`; units: Claims Operations, Commercial Insurance, Personal Lines" in unknown.output


# -- assess doctor -----------------------------------------------------------------------------


@pytest.fixture
def no_lan(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests see only loopback interfaces: doctor then has nothing but 127.0.0.1 to try."""
    from assessment.workshop import net

    monkeypatch.setattr(net, "list_interfaces", lambda: [net.Interface("lo", "127.0.0.1")])


def test_doctor_on_a_healthy_workspace(demo_ws: Path, no_lan: None) -> None:
    result = run("doctor", "-w", str(demo_ws), "--format", "json")
    assert result.exit_code == 0, result.output
    checks = {c["name"]: c for c in json.loads(result.stdout)}
    for name in ("Python", "Pango", "HarfBuzz", "PDF rendering", "Fonts", "Write access", "Response store",
                 "engagement.yaml", "Workshop libraries", "Room network", "Workshop port", "Browser"):
        assert name in checks, name
    assert checks["Python"]["status"] == checks["Response store"]["status"] == "ok"
    assert checks["PDF rendering"]["status"] == "ok"
    # No LAN address: a warning with what to do, never a failure.
    assert checks["Room network"]["status"] == "warn" and "hotspot" in checks["Room network"]["fix"]
    table = run("doctor", "-w", str(demo_ws), "--no-pdf")
    assert table.exit_code == 0 and "Response store" in table.stdout and "PDF rendering" not in table.stdout


def test_doctor_finds_a_damaged_store_and_says_how_to_fix_it(demo_copy: Path, no_lan: None) -> None:
    store = demo_copy / "responses.sqlite"
    data = bytearray(store.read_bytes())
    data[200:4000] = b"\xff" * 3800  # clobber the schema page
    store.write_bytes(bytes(data))
    result = run("doctor", "-w", str(demo_copy), "--no-pdf", "--no-workshop")
    assert result.exit_code == 1
    assert "FAIL Response store" in result.stdout and "fix: restore responses.sqlite" in result.stdout


def test_doctor_finds_a_folder_it_cannot_write_in(ws: Path, no_lan: None) -> None:
    # A file where the reports folder should be: nothing can be written there, whoever runs
    # the test (file permissions would not stop root, and CI runs as root).
    reports = ws / "reports"
    shutil.rmtree(reports)
    reports.write_text("not a folder", encoding="utf-8")
    result = run("doctor", "-w", str(ws), "--no-pdf", "--no-workshop")
    assert result.exit_code == 1 and "FAIL Reports folder" in result.stdout


def test_doctor_without_a_workspace_skips_it(tmp_path: Path, no_lan: None) -> None:
    result = run("doctor", "--no-pdf", "--no-workshop", cwd=tmp_path)
    assert result.exit_code == 0 and "no engagement.yaml" in result.stdout


def test_doctor_library_reports_pdf_failures(monkeypatch: pytest.MonkeyPatch) -> None:
    import weasyprint

    from assessment.doctor import run_checks

    def broken(*args, **kwargs):
        raise OSError("cannot load library 'libpango-1.0-0'")

    monkeypatch.setattr(weasyprint, "HTML", broken)
    checks = {c.name: c for c in run_checks(workshop=False)}
    assert checks["PDF rendering"].status == "fail" and "apt-get install libpango" in checks["PDF rendering"].fix


# -- paths, errors, a self-contained workspace ---------------------------------------------------


def test_init_copies_the_questionnaire_so_the_workspace_can_move(tmp_path: Path, worked_yaml: Path) -> None:
    result = run("init", "acme", "--client", "Acme", "--questionnaire", str(worked_yaml), cwd=tmp_path)
    assert result.exit_code == 0, result.output
    assert "Created acme/engagement.yaml" in result.stdout  # relative to the current folder
    assert (tmp_path / "acme" / worked_yaml.name).read_bytes() == worked_yaml.read_bytes()
    assert f'questionnaire: "{worked_yaml.name}"' in (tmp_path / "acme" / "engagement.yaml").read_text()
    moved = tmp_path / "elsewhere" / "sent"
    moved.parent.mkdir()
    shutil.move(str(tmp_path / "acme"), moved)
    shown = run("-w", str(moved), "questionnaire", "show", "--format", "json")
    assert shown.exit_code == 0 and json.loads(shown.stdout)["id"]
    assert str(worked_yaml.parent) not in (moved / "engagement.yaml").read_text()


def test_a_multi_problem_error_lists_the_first_problem_first(tmp_path: Path) -> None:
    ws = tmp_path / "bad"
    assert run("init", str(ws), "--client", "X").exit_code == 0
    text = (ws / "engagement.yaml").read_text()
    text = text.replace("currency: EUR", "currency: 12").replace("  max_shift: 0.5", "  max_shift: 7")
    (ws / "engagement.yaml").write_text(text)
    result = run("plan", cwd=ws)
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert lines[0].startswith("Error: engagement.yaml:") and "more problem" in lines[0]
    assert len(lines) >= 2 and lines[1].startswith("  engagement.yaml:")
    first, second = int(lines[0].split(":")[2]), int(lines[1].split(":")[1])
    assert first < second  # in the file's order, the first one on the Error line


def test_usage_errors_exit_2_other_errors_1(ws: Path, tmp_path: Path) -> None:
    assert run("score", "--no-such-option").exit_code == 2
    assert run("-w", str(tmp_path / "nowhere"), "score").exit_code == 1
    assert run("-w", str(ws), "score").exit_code == 1  # nobody to score yet


# -- the notebook API ----------------------------------------------------------------------------


def test_score_result_and_plan_as_frames(demo_ws: Path) -> None:
    from assessment import evaluate, open_workspace

    ev = evaluate(open_workspace(demo_ws), round="baseline", n_resamples=200)
    frame = ev.scores.to_frame()
    assert list(frame.index) == [d["id"] for d in ev.scores.dimensions]
    assert frame.loc["governance", "score"] == pytest.approx(ev.scores.dimension("governance")["score"])
    assert {"title", "ci_low", "ci_high", "alpha", "rwg", "flags"} <= set(frame.columns)
    assert any(c.startswith("role:") for c in frame.columns)
    assert len(ev.scores.to_frame(items=True)) == len(ev.scores.items)
    actions = ev.plan.actions_frame()
    assert list(actions["id"]) == [a.id for a in ev.plan.actions]
    assert actions["cost"].sum() == pytest.approx(ev.plan.total_cost)


def test_public_api_names_resolve() -> None:
    import assessment

    for name in ("evaluate", "render_pdf", "report_inputs_from_workspace", "write_results_workbook",
                 "run_checks", "resolve_dimension", "export_answers"):
        assert callable(getattr(assessment, name)), name


# -- the README ----------------------------------------------------------------------------------


def test_readme_covers_the_walkthrough_exit_codes_and_completion() -> None:
    root = Path(__file__).resolve().parents[1]
    readme = (root / "README.md").read_text(encoding="utf-8")
    walk = readme[readme.index("## An engagement, step by step"):readme.index("## Commands")]
    assert walk.index("plan --save") < walk.index("round new day-90")
    assert "exit" in walk.lower() and "2: a usage error" in walk
    assert "_ASSESS_COMPLETE=bash_source assess" in readme
    assert "render_pdf(" in readme and "to_frame()" in readme and "actions_frame()" in readme
    assert "ASSESS_WORKSPACE" in readme and "deprecated" in readme
    assert "assess-demo/" in (root / ".gitignore").read_text().splitlines()


def test_the_console_entry_point_keeps_exit_codes_and_output(tmp_path):
    """`assess` leaves without the interpreter's teardown: its exit codes (0, 1 for an error,
    2 for a usage error) and everything it printed must come through as from a normal exit,
    also when the reader closes the pipe early."""
    import subprocess
    import sys

    def run(*args: str, **kw):
        return subprocess.run([sys.executable, "-m", "assessment", *args], capture_output=True, text=True,
                              cwd=tmp_path, timeout=120, **kw)

    ok = run("--version")
    assert ok.returncode == 0 and ok.stdout.startswith("assess, version")
    listed = run("questionnaire", "list", "--format", "csv")
    assert listed.returncode == 0 and listed.stdout.splitlines()[0].startswith("id,") and len(listed.stdout) > 50
    error = run("-w", str(tmp_path / "nowhere"), "score")
    assert error.returncode == 1 and error.stderr.startswith("Error:") and "Traceback" not in error.stderr
    usage = run("score", "--bogus")
    assert usage.returncode == 2 and "No such option" in usage.stderr
    piped = subprocess.run(f'"{sys.executable}" -m assessment --help | head -1', shell=True, capture_output=True,
                           text=True, cwd=tmp_path, timeout=120)
    assert piped.stdout.startswith("Usage:") and "Traceback" not in piped.stderr

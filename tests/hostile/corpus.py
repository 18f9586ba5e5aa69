"""Generate the hostile-file corpus into a folder (at test time: large files are never committed).

Run as a script to look at the files: ``python tests/hostile/corpus.py OUT_DIR``.
Every case is a file some command reads; :data:`EXPECT` says whether a correct
import is documented for it (``ok``) or it must be refused (``refused``).
"""

from __future__ import annotations

import io
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROLE_Q = "What is your role?"
G1 = "Model releases pass review within two weeks."
G2 = "Models wait in staging for documentation."
HEADER = ["Timestamp", ROLE_Q, G1, G2]
ROW = ["2025/01/15 9:00:00 AM GMT", "Executive sponsor", "Agree", "Disagree"]


@dataclass(frozen=True)
class Case:
    name: str
    kind: str          # "response" (assess import), "mapping" (--mapping), "questionnaire" (validate)
    expect: str        # "refused" or "ok"
    large: bool = False


def _csv(rows: list[list[str]], sep: str = ",", newline: str = "\n") -> str:
    return newline.join(sep.join(r) for r in rows) + newline


def _xlsx_bytes(rows: list[list[object]]) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _rezip(data: bytes, change: Callable[[str, bytes], bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, change(info.filename, zin.read(info.filename)))
    return out.getvalue()


def _with_prolog(prolog: str, body_change: Callable[[str], str] = lambda t: t) -> Callable[[str, bytes], bytes]:
    def change(name: str, data: bytes) -> bytes:
        if name != "xl/worksheets/sheet1.xml":
            return data
        text = data.decode("utf-8")
        cut = text.index("?>") + 2 if text.startswith("<?xml") else 0
        return (text[:cut] + prolog + body_change(text[cut:])).encode("utf-8")
    return change


LAUGHS = ('<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
          '<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">'
          '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>')


def build(folder: Path, *, large: bool = True) -> dict[str, Case]:
    """Write every case into ``folder``; returns name -> :class:`Case`."""
    folder.mkdir(parents=True, exist_ok=True)
    good_xlsx = _xlsx_bytes([HEADER, ROW])
    cases: dict[str, Case] = {}

    def add(name: str, data: bytes | str, kind: str = "response", expect: str = "refused", big: bool = False,
            encoding: str = "utf-8") -> None:
        path = folder / name
        path.write_bytes(data if isinstance(data, bytes) else data.encode(encoding))
        cases[name] = Case(name, kind, expect, big)

    # damaged containers
    add("truncated.xlsx", good_xlsx[: len(good_xlsx) // 2])
    add("corrupt.xlsx", b"PK\x03\x04" + bytes(range(256)) * 40)
    add("not-a-zip.xlsx", b"this was never a workbook\n")
    add("pdf-renamed.csv", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <</Type /Catalog>> endobj\n" + b"\x00\x01\x02" * 200)
    add("pdf-renamed.xlsx", b"%PDF-1.7\n1 0 obj <</Type /Catalog>> endobj\n")
    add("png-renamed.xlsx", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64)
    add("png-renamed.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64)
    # XML attacks inside an xlsx
    add("dtd-entity.xlsx", _rezip(good_xlsx, _with_prolog('<!DOCTYPE x [<!ENTITY role "Executive sponsor">]>',
                                                          lambda t: t.replace(">Executive sponsor<", ">&role;<", 1))))
    add("billion-laughs.xlsx", _rezip(good_xlsx, _with_prolog(LAUGHS, lambda t: t.replace(">Agree<", ">&lol3;<", 1))))
    add("external-entity.xlsx", _rezip(good_xlsx, _with_prolog('<!DOCTYPE x [<!ENTITY ext SYSTEM "file:///etc/passwd">]>',
                                                               lambda t: t.replace(">Agree<", ">&ext;<", 1))))
    add("dtd-padded.xlsx", _rezip(good_xlsx, _with_prolog("<!-- " + "x" * 70000 + " -->" + "<!DOCTYPE x>")))
    # text oddities
    add("nul-bytes.csv", _csv([HEADER, ROW]).replace("Agree", "Ag\x00ree"))
    add("mixed-line-endings.csv", _csv([HEADER]) + _csv([ROW], newline="\r\n")
        + _csv([["2025/01/15 9:10:00 AM GMT", "Data scientist", "Neutral", "Agree"]], newline="\r"), expect="ok")
    add("utf16-no-bom.tsv", _csv([HEADER, ROW], sep="\t"), encoding="utf-16-le", expect="ok")
    add("cp1252.csv", _csv([HEADER, [*ROW[:3], "Disagree"], ["2025/01/15 9:05:00 AM GMT", "Data scientist",
                                                            "Neutral", "Agree"]]).replace("GMT", "GMT") + "\n",
        encoding="cp1252", expect="ok")
    add("cp1252-accents.csv", _csv([HEADER + ["Comments on monitoring"],
                                    ROW + ["Très bien – ça marche"]]), encoding="cp1252", expect="ok")
    add("header-only.csv", _csv([HEADER]))
    add("empty.csv", b"")
    add("whitespace-only.csv", b"  \n\n \t\n")
    add("empty.xlsx", b"")
    add("dates-as-labels.xlsx", _xlsx_bytes([HEADER, ["2025-01-15 09:00:00", "Executive sponsor",
                                                      __import__("datetime").datetime(2025, 6, 25), "Agree"]]))
    add("formula-cells.xlsx", _xlsx_bytes([HEADER + ["Comments on monitoring"],
                                           [*ROW, '=HYPERLINK("http://example.invalid","click")'],
                                           ["2025/01/15 9:05:00 AM GMT", "Data scientist", "=1+3", "Agree", "=2+2"]]),
        expect="ok")
    add("duplicate-headers.csv", _csv([HEADER + [G1], ROW + ["Neutral"]]))
    add("ids-as-text-header-row.csv", _csv([HEADER, HEADER, ROW]))
    add("only-metadata.csv", _csv([["Timestamp", ROLE_Q], ["2025/01/15 9:00:00 AM GMT", "Executive sponsor"]]))
    if large:
        add("cell-5mb.csv", _csv([HEADER + ["Comments on monitoring"], ROW + ["x" * (5 * 2**20)]]), expect="ok",
            big=True)
        wide_header = HEADER + [f"extra {i}" for i in range(100_000)]
        add("columns-100k.csv", _csv([wide_header, ROW + [""] * 100_000]), expect="ok", big=True)
        add("zip-bomb.xlsx", _zip_bomb(good_xlsx), big=True)
        add("huge-range.xlsx", _rezip(good_xlsx, _huge_dimension), big=True)
    # YAML: mapping files
    add("alias-bomb.mapping.yaml", "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
        for p, c in zip("abcdef", "bcdefg", strict=True)) + "columns: {}\n", kind="mapping")
    add("python-tag.mapping.yaml", "columns: !!python/object/apply:os.system ['echo pwned']\n", kind="mapping")
    add("tabs.mapping.yaml", "columns:\n\t'Q1': GOV-1\n", kind="mapping")
    add("huge-string.mapping.yaml", "ignore: ['" + "x" * (11 * 2**20) + "']\n", kind="mapping")
    add("duplicate-keys.mapping.yaml", "role: exec\nrole: ds\n", kind="mapping")
    add("not-a-mapping.mapping.yaml", "- just\n- a list\n", kind="mapping")
    add("binary.mapping.yaml", b"\xff\xfe\x00garbage\x00", kind="mapping")
    # YAML: questionnaires
    add("alias-bomb.questionnaire.yaml", "id: x\nversion: '1'\na: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
        for p, c in zip("abcdef", "bcdefg", strict=True)), kind="questionnaire")
    add("tag.questionnaire.yaml", "id: !!python/name:os.system x\n", kind="questionnaire")
    add("duplicate-keys.questionnaire.yaml", "id: a\nid: b\n", kind="questionnaire")
    return cases


def _zip_bomb(good: bytes) -> bytes:
    """An xlsx whose sheet inflates to ~500 MB of whitespace inside the root element."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename != "xl/worksheets/sheet1.xml":
                zout.writestr(info.filename, data)
                continue
            text = data.decode("utf-8")
            cut = text.index("<sheetData")
            with zout.open(info.filename, "w", force_zip64=True) as part:
                part.write(text[:cut].encode("utf-8"))
                block = b" " * (1 << 20)
                for _ in range(500):
                    part.write(block)
                part.write(text[cut:].encode("utf-8"))
    return out.getvalue()


def _huge_dimension(name: str, data: bytes) -> bytes:
    """One extra cell at the last row and column Excel allows: a 17-billion-cell grid if padded."""
    if name != "xl/worksheets/sheet1.xml":
        return data
    text = data.decode("utf-8")
    text = text.replace("</sheetData>", '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c>'
                                        "</row></sheetData>")
    return text.encode("utf-8")


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "hostile-corpus")
    for case in build(out).values():
        print(f"{case.expect:<8} {case.kind:<13} {out / case.name}")

"""Bytes to a grid of strings: the only module that knows about file formats.

Everything downstream sees a list of rows of text cells, exactly as a user would
see them in a spreadsheet (row 1 is the file's first row). Cells stay text so
nothing is coerced: an id like ``00123`` or an answer like ``6-25`` arrives as typed.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ImportFailed

SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}
#: The sheet our survey workbook writes answers to; preferred when present.
TEMPLATE_SHEET = "Responses"
_DELIMITERS = (",", ";", "\t")
_SNIFF_CHARS = 64 * 1024
#: Limits that keep a hostile file from exhausting memory or time (see SECURITY.md).
MAX_FILE_BYTES = 100 * 1024 * 1024           # a response file larger than this is refused
MAX_UNZIPPED_BYTES = 400 * 1024 * 1024       # an xlsx whose parts unpack to more is refused (zip bomb)
MAX_ZIP_PARTS = 10_000
MAX_CELL_CHARS = 32 * 1024 * 1024            # csv field limit (a 5 MB comment is fine)
# rows x columns of the grid: 100,000 respondents x 120 columns (a 100,000-respondent Qualtrics
# export is 10.1 million). Repeated cell texts are stored once (see _Dedupe), so such an export
# imports within 1 GB; the worst case, 12 million distinct short cells (a 95 MB CSV), takes
# about 8 s and 1.1 GB just to read.
MAX_CELLS = 12_000_000


@dataclass
class Grid:
    """A file's cells as text. ``rows[0]`` is the file's row 1; all rows have equal width."""

    rows: list[list[str]]
    sha256: str
    sheet: str | None = None
    sheet_names: list[str] = field(default_factory=list)
    encoding: str | None = None
    delimiter: str | None = None
    formulas: int = 0            # formula cells in the workbook (their cached values are read)

    @property
    def width(self) -> int:
        return len(self.rows[0]) if self.rows else 0


def read_grid(path: str | Path) -> Grid:
    """Read a CSV/TSV/TXT or spreadsheet file into a :class:`Grid` of strings."""
    path = Path(path)
    try:
        st = path.stat()
        if stat.S_ISDIR(st.st_mode):
            raise IsADirectoryError
        if not stat.S_ISREG(st.st_mode):
            # a FIFO, a device or a socket: reading could block forever or never end
            raise ImportFailed("not a regular file", file=path)
        if st.st_size > MAX_FILE_BYTES:
            raise ImportFailed(f"file is larger than {MAX_FILE_BYTES // 2**20} MB; split it", file=path)
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise ImportFailed("file not found", file=path) from None
    except IsADirectoryError:
        raise ImportFailed("is a directory, not a response file", file=path) from None
    except OSError as exc:
        raise ImportFailed(f"cannot read file: {exc.strerror}", file=path) from None
    if len(data) > MAX_FILE_BYTES:
        raise ImportFailed(f"file is larger than {MAX_FILE_BYTES // 2**20} MB; split it", file=path)
    digest = hashlib.sha256(data).hexdigest()
    if not data.strip():
        raise ImportFailed("file is empty", file=path)
    is_zip = data[:4] == b"PK\x03\x04"
    is_ole = data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    if path.suffix.lower() in SPREADSHEET_SUFFIXES or is_zip or is_ole:
        grid = _read_spreadsheet(path, data, digest)
    else:
        grid = _read_text(path, data, digest)
    if not any(any(c.strip() for c in row) for row in grid.rows):
        raise ImportFailed("file has no data (every cell is empty)", file=path)
    return grid


# -- spreadsheets ------------------------------------------------------------------


def check_zip_container(path: Path, data: bytes) -> int:
    """Refuse an xlsx (a zip of XML parts) that is damaged, a zip bomb, or has a DTD.

    A DTD (``<!DOCTYPE``) has no place in an Office file; it is how entity-expansion
    ("billion laughs") and external-entity attacks start, so any part declaring one is
    refused before a parser sees it. Parts are inflated in a stream and counted, so a
    lying size header cannot get past :data:`MAX_UNZIPPED_BYTES`. Returns the number of
    formula cells in the worksheets (their last computed values are what is read).
    """
    import zipfile

    try:
        book = zipfile.ZipFile(io.BytesIO(data))
        infos = book.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise ImportFailed(f"not a readable spreadsheet (damaged zip: {exc})".splitlines()[0], file=path) from None
    if len(infos) > MAX_ZIP_PARTS:
        raise ImportFailed(f"not a plausible spreadsheet ({len(infos)} parts in the zip)", file=path)
    if sum(i.file_size for i in infos) > MAX_UNZIPPED_BYTES:
        raise _too_large_unzipped(path)
    scan = _ZipScan(path)
    try:
        for info in infos:
            if not info.is_dir():
                scan.part(book, info)
    except ImportFailed:
        raise
    except Exception as exc:  # CRC errors, truncated members, unsupported compression
        raise ImportFailed(f"not a readable spreadsheet (damaged part: {exc})".splitlines()[0], file=path) from None
    return scan.formulas


def _too_large_unzipped(path: Path) -> ImportFailed:
    return ImportFailed(f"spreadsheet unpacks to more than {MAX_UNZIPPED_BYTES // 2**20} MB; refused "
                        "(split the export or save it as CSV)", file=path)


class _ZipScan:
    """Streams every part of an xlsx once, counting what it inflates (a size header can
    lie) and refusing a DTD or an oversized sheet before any parser allocates for it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.total = 0
        self.formulas = 0

    def part(self, book, info) -> None:
        tail = b""
        xml = not info.filename.lower().endswith(_BINARY_PARTS)
        sheet = _SheetBounds(self.path, info.filename) if (info.filename.startswith("xl/worksheets/")
                                                            and info.filename.endswith(".xml")) else None
        with book.open(info) as part:
            while True:
                chunk = part.read(1 << 20)
                if not chunk:
                    break
                self.total += len(chunk)
                if self.total > MAX_UNZIPPED_BYTES:
                    raise _too_large_unzipped(self.path)
                # XML is case-sensitive and text content escapes '<', so these only occur as markup;
                # the whole part is searched (a DTD may hide after a long comment).
                window = tail + chunk
                # (each test first looks for what every form shares: one pass over a chunk
                # without any, instead of two)
                if xml and ((b"<!" in window and (b"<!DOCTYPE" in window or b"<!ENTITY" in window))
                            or _utf16_dtd(window)):
                    _refuse_dtd(self.path, info.filename)
                if sheet is not None:
                    if b"<f" in chunk:
                        self.formulas += chunk.count(b"<f>") + chunk.count(b"<f ")
                    sheet.feed(chunk)
                tail = chunk[-32:]


class _SheetBounds:
    """The extent one worksheet part claims, checked as its XML streams past.

    The reader allocates the whole rectangle up to the farthest cell: one cell at
    XFD1048576 would ask for 17 billion. Bound it before the reader sees it: the
    last cell of each row is its farthest column, the last row its farthest row.
    """

    def __init__(self, path: Path, name: str) -> None:
        self.path, self.name = path, name
        self.max_row = self.max_col = self.cells = 0
        self.pending = b""

    def feed(self, chunk: bytes) -> None:
        # every element starting "<c" (cells, and the few <col>, <cols>, <cfRule>...): an upper
        # bound of the cells in one pass over the chunk
        self.cells += chunk.count(b"<c")
        self.pending += chunk
        end = self.pending.rfind(b"</row>")
        if end >= 0:
            self.max_row, self.max_col = _extent(self.pending[: end + 6], self.max_row, self.max_col)
            self.pending = self.pending[end + 6:]
        elif len(self.pending) > MAX_ROW_BYTES:
            raise ImportFailed(f"sheet {self.name} has a row larger than {MAX_ROW_BYTES // 2**20} MB; refused",
                               file=self.path)
        if self.max_row * self.max_col > MAX_CELLS or self.cells > MAX_CELLS:
            raise ImportFailed(f"sheet {self.name} reaches row {self.max_row:,} and column "
                               f"{column_letter(self.max_col - 1) if self.max_col else '?'} ({self.cells:,} cells "
                               f"written), more than {MAX_CELLS:,} cells; refused", file=self.path)


_CELL_REF = re.compile(rb'<c r="([A-Z]{1,3})([0-9]{1,7})"')
_ROW_REF = re.compile(rb'<row r="([0-9]{1,7})"')
MAX_ROW_BYTES = 64 * 1024 * 1024


def _extent(rows: bytes, max_row: int, max_col: int) -> tuple[int, int]:
    """Farthest row and column in complete ``<row>...</row>`` elements: per row, its last cell."""
    start = 0
    while True:
        end = rows.find(b"</row>", start)
        if end < 0:
            return max_row, max_col
        cell = rows.rfind(b'<c r="', start, end)
        if cell >= 0:
            m = _CELL_REF.match(rows, cell)
            if m:
                max_col = max(max_col, _col_number(m.group(1)))
                max_row = max(max_row, int(m.group(2)))
        row = rows.rfind(b"<row r=", start, end)
        if row >= 0:
            m = _ROW_REF.match(rows, row)
            if m:
                max_row = max(max_row, int(m.group(1)))
        start = end + 6


def _col_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n


_BINARY_PARTS = (".png", ".jpg", ".jpeg", ".gif", ".emf", ".wmf", ".bin", ".tif", ".tiff", ".bmp")
_DTD_UTF16 = ("<!DOCTYPE".encode("utf-16-le"), "<!DOCTYPE".encode("utf-16-be"),
              "<!ENTITY".encode("utf-16-le"), "<!ENTITY".encode("utf-16-be"))


def _utf16_dtd(window: bytes) -> bool:
    return b"\x00" in window[:64] and any(m in window for m in _DTD_UTF16)


def _refuse_dtd(path: Path, part: str) -> None:
    raise ImportFailed(f"refused: the spreadsheet part {part} declares a DTD (<!DOCTYPE>), which no "
                       "genuine Excel file has (entity expansion or external entities)", file=path)


def _read_spreadsheet(path: Path, data: bytes, digest: str) -> Grid:
    from python_calamine import CalamineWorkbook

    formulas = check_zip_container(path, data) if data[:4] == b"PK\x03\x04" else 0
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # calamine raises its own error types for every kind of damage
        raise ImportFailed(f"not a readable spreadsheet ({type(exc).__name__}: {exc})".splitlines()[0],
                           file=path) from None
    except BaseException as exc:  # a panic in the Rust reader (pyo3 PanicException)
        if isinstance(exc, KeyboardInterrupt | SystemExit):
            raise
        raise ImportFailed(f"not a readable spreadsheet ({type(exc).__name__})", file=path) from None
    try:
        names = list(book.sheet_names)
        visible = [m.name for m in book.sheets_metadata if str(m.visible).rsplit(".", 1)[-1] == "Visible"]
    except Exception as exc:
        raise ImportFailed(f"not a readable spreadsheet ({type(exc).__name__})", file=path) from None
    if not names:
        raise ImportFailed("workbook has no sheets", file=path)
    name = TEMPLATE_SHEET if TEMPLATE_SHEET in names else names[0]
    try:
        if TEMPLATE_SHEET in names:
            sheet = book.get_sheet_by_name(TEMPLATE_SHEET)
        else:
            # The first visible sheet that has data: tools write one sheet, users sometimes add one.
            name, sheet = names[0], None
            for candidate in visible or names:
                sheet = book.get_sheet_by_name(candidate)
                name = candidate
                if sheet.height:
                    break
        if sheet.height * sheet.width > MAX_CELLS:
            raise ImportFailed(f"sheet {name!r} spans {sheet.height:,} rows x {sheet.width:,} columns, more than "
                               f"{MAX_CELLS:,} cells; refused", file=path)
        raw = sheet.to_python(skip_empty_area=False)
    except ImportFailed:
        raise
    except Exception as exc:
        raise ImportFailed(f"cannot read sheet {name!r}: {exc}".splitlines()[0], file=path) from None
    except BaseException as exc:  # calamine panics surface as BaseException subclasses
        if isinstance(exc, KeyboardInterrupt | SystemExit):
            raise
        raise ImportFailed(f"cannot read sheet {name!r}: {type(exc).__name__}".splitlines()[0], file=path) from None
    dedupe = _Dedupe()
    rows = [dedupe.row([c if type(c) is str else _cell_text(c) for c in row]) for row in raw]
    del raw
    return Grid(_rectangular(rows), digest, sheet=name, sheet_names=names, formulas=formulas)


def _cell_text(value: object) -> str:
    """One spreadsheet cell as the text a user sees (integers without ``.0``)."""
    if type(value) is str:
        return value
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.datetime):
        # Full precision: two submissions in the same second are two respondents.
        if value.microsecond % 1000:
            return value.isoformat(sep=" ", timespec="microseconds")
        return value.isoformat(sep=" ", timespec="milliseconds" if value.microsecond else "seconds")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value.total_seconds())
    return "" if value is None else str(value)


# -- delimited text ----------------------------------------------------------------


def _decode(path: Path, data: bytes) -> tuple[str, str]:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise ImportFailed("looks like UTF-16 text but cannot be decoded", file=path) from None
    head = data[:4096]
    if head.count(b"\x00") > len(head) // 4:
        # UTF-16 without a BOM: NUL bytes in the odd or even positions
        enc = "utf-16-le" if head[1:2] == b"\x00" else "utf-16-be"
        try:
            return data.decode(enc), enc
        except UnicodeDecodeError:
            raise ImportFailed("binary file, not text or a spreadsheet", file=path) from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def sniff_delimiter(text: str) -> str:
    """Pick ``,``, ``;`` or tab: the one whose first records have the most, most consistent fields."""
    sample = text[:_SNIFF_CHARS]
    truncated = len(text) > _SNIFF_CHARS
    best, best_score = ",", (-1.0, 0)
    for delim in _DELIMITERS:
        try:
            records = list(csv.reader(io.StringIO(sample, newline=""), delimiter=delim))
        except csv.Error:
            continue
        if truncated and len(records) > 1:
            records = records[:-1]
        records = [r for r in records if any(c.strip() for c in r)][:50]
        if not records or len(records[0]) < 2:
            continue
        width = len(records[0])
        share = sum(len(r) == width for r in records) / len(records)
        score = (share, width)
        if score > best_score:
            best, best_score = delim, score
    return best


def _read_text(path: Path, data: bytes, digest: str) -> Grid:
    text, encoding = _decode(path, data)
    if "\x00" in text:
        raise ImportFailed("binary file, not text or a spreadsheet", file=path)
    delim = sniff_delimiter(text)
    if text.count(delim) > 2 * MAX_CELLS:  # cheap bound before building millions of cells
        raise ImportFailed(f"more than {2 * MAX_CELLS:,} separators; refused as implausibly large", file=path)
    if csv.field_size_limit() < MAX_CELL_CHARS:
        csv.field_size_limit(MAX_CELL_CHARS)
    rows: list[list[str]] = []
    cells = width = 0
    dedupe = _Dedupe()
    try:
        for record in csv.reader(_lines(text), delimiter=delim, strict=False):
            rows.append(dedupe.row(record))
            cells += len(record)
            width = max(width, len(record))
            if cells > MAX_CELLS or width * len(rows) > MAX_CELLS:  # stop before memory runs away
                raise ImportFailed(f"more than {MAX_CELLS:,} cells (rows x columns); refused (split the file)",
                                   file=path)
    except csv.Error as exc:
        raise ImportFailed(f"not readable as delimited text: {exc}", file=path) from None
    # Leading blank records carry no information; trailing ones are Excel noise.
    while rows and not any(c.strip() for c in rows[-1]):
        rows.pop()
    width = max((len(r) for r in rows), default=0)
    if width * len(rows) > MAX_CELLS:
        raise ImportFailed(f"{len(rows):,} rows x {width:,} columns is more than {MAX_CELLS:,} cells; refused",
                           file=path)
    return Grid(_rectangular(rows), digest, encoding=encoding, delimiter=delim)


_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


def _lines(text: str) -> Iterator[str]:
    """The lines of ``text`` with their endings, as ``io.StringIO(text, newline="")`` gives
    them to the csv reader, one at a time: a StringIO holds 4 bytes per character, 300 MB
    for a 78 MB export."""
    for match in _LINE.finditer(text):
        yield match.group()


class _Dedupe:
    """Makes equal cell texts one string object.

    A survey column repeats a handful of texts (five labels, a blank) down 100,000 rows,
    but the readers make a new string for every cell: about 55 bytes each, most of the
    memory an import of a large file needs. The texts of the first rows are remembered
    (answer labels all appear early); later cells reuse them, and texts first seen later
    (ids, times) are kept as they are, so the table stays small.
    """

    ROWS = 2_000

    def __init__(self) -> None:
        self.seen: dict[str, str] = {}
        self.rows = 0

    def row(self, cells: list[str]) -> list[str]:
        self.rows += 1
        if self.rows <= self.ROWS:
            return list(map(self.seen.setdefault, cells, cells))
        return list(map(self.seen.get, cells, cells))


def _rectangular(rows: list[list[str]]) -> list[list[str]]:
    width = max((len(r) for r in rows), default=0)
    return [r + [""] * (width - len(r)) if len(r) < width else r for r in rows]


def column_letter(index: int) -> str:
    """0-based column index to a spreadsheet letter (0 -> A, 26 -> AA)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters

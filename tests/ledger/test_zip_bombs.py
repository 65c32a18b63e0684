"""Files built to exhaust the server are refused before anything in them is parsed (issue 11,
finding 5: "a 4 MB upload that unpacks to 4,000 MB took the web process from 213 MB to 4.2 GB
and 36 s of CPU"): a workbook's compression ratio, unpacked size and member count are checked
from the zip's directory, a file's size before it is stored; a member that unpacks to more than
it declares is damaged. Refused quickly, nothing written, the memory of the process untouched.
The web's limits are smaller than the command line's."""

from __future__ import annotations

import struct
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from tests.ledger.conftest import Book, codes, registry_counts, write_csv

pytestmark = pytest.mark.django_db
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MB = 2**20

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
    'package/2006/content-types"><Default Extension="rels" ContentType="application/'
    'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType='
    '"application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName='
    '"/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
    'spreadsheetml.worksheet+xml"/></Types>'
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.'
    'org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
    'openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target='
    '"xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/'
    'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships"><sheets><sheet name="户" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.'
    'org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
    'openxmlformats.org/officeDocument/2006/relationships/worksheet" Target='
    '"worksheets/sheet1.xml"/></Relationships>'
)
_SHEET_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.'
    b'org/spreadsheetml/2006/main"><sheetData>'
)
_SHEET_TAIL = b"</sheetData></worksheet>"
# One row per 45 bytes: a gigabyte of them is 24 million rows, each a Python list once read.
_ROW = b'<row><c t="inlineStr"><is><t>x</t></is></c></row>'


def _deflate(data: bytes, final: bool) -> bytes:
    """``data`` as a raw deflate piece that starts from an empty window (so a piece can be
    repeated: the same bytes unpack to the same text wherever they stand)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    return packer.compress(data) + packer.flush(zlib.Z_FINISH if final else zlib.Z_FULL_FLUSH)


def _member(name: str, text: str | bytes) -> tuple[str, bytes, int, int]:
    data = text.encode() if isinstance(text, str) else text
    return name, _deflate(data, final=True), zlib.crc32(data), len(data)


def _zip(path: Path, members: list[tuple[str, bytes, int, int]]) -> Path:
    """A zip written by hand from (name, deflated bytes, declared CRC, declared size): the
    declared numbers are whatever the caller says, as in a crafted file."""
    out = bytearray()
    directory = bytearray()
    for name, data, crc, size in members:
        encoded = name.encode()
        offset = len(out)
        out += struct.pack(
            "<4s5H3L2H",
            b"PK\x03\x04",
            20,
            0x800,
            8,
            0,
            0x21,
            crc,
            len(data),
            size,
            len(encoded),
            0,
        )
        out += encoded + data
        directory += struct.pack(
            "<4s6H3L5H2L",
            b"PK\x01\x02",
            20,
            20,
            0x800,
            8,
            0,
            0x21,
            crc,
            len(data),
            size,
            len(encoded),
            0,
            0,
            0,
            0,
            0,
            offset,
        )
        directory += encoded
    start = len(out)
    out += directory
    out += struct.pack(
        "<4s4H2LH", b"PK\x05\x06", 0, 0, len(members), len(members), len(directory), start, 0
    )
    path.write_bytes(bytes(out))
    return path


def zip_bomb(path: Path, unpacked_mb: int = 1024, *, declared: int | None = None) -> Path:
    """A one-sheet workbook (户) whose worksheet is ``unpacked_mb`` of rows packed about 340 to
    1 (1 GB in 3 MB). ``declared``: the worksheet's size as its zip entries declare it (with
    the CRC of that many bytes, so a reader that stops there finds nothing wrong); default the
    truth."""
    chunk = _ROW * (MB // len(_ROW))
    body = _deflate(chunk, final=False) * unpacked_mb
    data = _deflate(_SHEET_HEAD, final=False) + body + _deflate(_SHEET_TAIL, final=True)
    if declared is None:
        crc = zlib.crc32(_SHEET_HEAD)
        for _ in range(unpacked_mb):
            crc = zlib.crc32(chunk, crc)
        crc = zlib.crc32(_SHEET_TAIL, crc)
        size = len(_SHEET_HEAD) + len(chunk) * unpacked_mb + len(_SHEET_TAIL)
    else:
        text = _SHEET_HEAD + chunk * (declared // len(chunk) + 1)
        crc, size = zlib.crc32(text[:declared]), declared
    return _zip(
        path,
        [
            _member("[Content_Types].xml", _CONTENT_TYPES),
            _member("_rels/.rels", _RELS),
            _member("xl/workbook.xml", _WORKBOOK),
            _member("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS),
            ("xl/worksheets/sheet1.xml", data, crc, size),
        ],
    )


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise LookupError(field)


def peak_growth(work: Callable[[], Any]) -> tuple[Any, float, float]:
    """(result, how far the process's resident memory peaked above where it was, in MB, and
    the seconds ``work`` took). The peak is reset first (/proc/self/clear_refs)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pytest.skip("the peak resident size cannot be reset here")
    before = _status_kb("VmRSS")
    started = time.perf_counter()
    result = work()
    seconds = time.perf_counter() - started
    return result, (_status_kb("VmHWM") - before) / 1024, seconds


@pytest.fixture
def here(settings: Any) -> None:
    """Parse in this process, so that its memory is the one measured."""
    settings.LEDGER_READ_PROCESS_MB = 10_000


def _refused(result: Any, code: str) -> Any:
    assert code in codes(result), [(i.code, i.message_zh) for i in result.issues]
    assert not result.written
    return next(i for i in result.issues if i.code == code)


def test_a_gigabyte_bomb_is_refused_before_it_is_unpacked(
    tree: Any, tmp_path: Path, run_import: Any, here: None
) -> None:
    bomb = zip_bomb(tmp_path / "bomb.xlsx", 1024)
    assert bomb.stat().st_size < 4 * MB
    before = registry_counts()
    result, grew, seconds = peak_growth(lambda: run_import(bomb))
    issue = _refused(result, "zip_ratio")
    assert issue.sheet == "bomb.xlsx" and "xl/worksheets/sheet1.xml" in issue.message_zh
    assert "上限为 100 倍" in issue.message_zh and "to 1" in issue.message_en
    assert registry_counts() == before
    assert grew < 50, f"memory grew by {grew:.0f} MB"
    assert seconds < 5


def test_the_unpacked_size_counts_even_at_an_honest_ratio(
    tree: Any, tmp_path: Path, run_import: Any, here: None, settings: Any
) -> None:
    settings.LEDGER_MAX_RATIO = 1000  # the bomb packs 340 to 1: only the size stops it
    settings.LEDGER_MAX_UNPACKED_MB = 512
    bomb = zip_bomb(tmp_path / "bomb.xlsx", 1024)
    result, grew, seconds = peak_growth(lambda: run_import(bomb))
    issue = _refused(result, "too_big_inside")
    assert "1024 MB" in issue.message_zh and "512 MB" in issue.message_zh
    assert grew < 50 and seconds < 5


@pytest.mark.usefixtures("reading")
def test_a_member_larger_than_it_says_is_damaged(
    tree: Any, tmp_path: Path, run_import: Any
) -> None:
    """The limits go by the sizes the zip declares; a member that unpacks to more is cut off
    where it said it ends (zipfile) or refused there (calamine): never unpacked further."""
    liar = zip_bomb(tmp_path / "liar.xlsx", 1024, declared=MB)
    result = run_import(liar)
    _refused(result, "corrupt")


def test_a_member_larger_than_it_says_takes_no_memory(
    tree: Any, tmp_path: Path, run_import: Any, here: None
) -> None:
    liar = zip_bomb(tmp_path / "liar.xlsx", 1024, declared=MB)
    result, grew, seconds = peak_growth(lambda: run_import(liar))
    _refused(result, "corrupt")
    assert grew < 50, f"memory grew by {grew:.0f} MB"
    assert seconds < 5


def test_too_many_members(
    tree: Any, book: Book, tmp_path: Path, run_import: Any, settings: Any
) -> None:
    import zipfile

    path = book.save(tmp_path / "many.xlsx")
    with zipfile.ZipFile(path, "a") as archive:
        for n in range(40):
            archive.writestr(f"customXml/item{n}.xml", "<a/>")
    settings.LEDGER_MAX_MEMBERS = 30
    issue = _refused(run_import(path), "zip_members")
    assert "上限为 30 个" in issue.message_zh


def test_a_directory_of_millions_is_refused_from_the_end_record(
    tree: Any, book: Book, tmp_path: Path, run_import: Any
) -> None:
    """The member count is read from the zip's end record before the directory is loaded (a
    directory of millions of entries would take gigabytes as zipfile reads it)."""
    path = book.save(tmp_path / "book.xlsx")
    data = bytearray(path.read_bytes())
    at = data.rfind(b"PK\x05\x06")
    struct.pack_into("<2HL", data, at + 8, 60000, 60000, 60000 * 80)  # entries, directory bytes
    path.write_bytes(bytes(data))
    _refused(run_import(path), "zip_members")


def test_only_stored_and_deflated_members(
    tree: Any, book: Book, tmp_path: Path, run_import: Any
) -> None:
    import zipfile

    path = book.save(tmp_path / "book.xlsx")
    with zipfile.ZipFile(path) as archive:
        members = {info.filename: archive.read(info.filename) for info in archive.infolist()}
    packed = tmp_path / "bzip2.xlsx"
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_BZIP2) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    issue = _refused(run_import(packed), "corrupt")
    assert "compression 12" in issue.message_en


def test_a_csv_file_over_the_size_limit(
    tree: Any, book: Book, tmp_path: Path, run_import: Any, settings: Any
) -> None:
    path = write_csv(tmp_path / "户.csv", book.sheets["户"] * 50)
    settings.LEDGER_MAX_FILE_MB = path.stat().st_size / MB / 2
    _refused(run_import(path), "file_too_large")


def test_our_own_workbooks_pass(tree: Any, book: Book, tmp_path: Path, run_import: Any) -> None:
    """A real workbook of any size is far below the ratio limit: ours pack 2-25 to 1."""
    assert run_import(book.save(tmp_path / "book.xlsx")).ok


# ---------------------------------------------------------------------------------------------
# The web upload: refused at once, before a job is queued, with the web's smaller limits
# ---------------------------------------------------------------------------------------------


def _upload(user: Any, path: Path) -> Any:
    client = Client()
    client.force_login(user)
    data = SimpleUploadedFile(path.name, path.read_bytes(), content_type=XLSX)
    return client.post(reverse("ledger:upload"), {"file": data}, follow=True)


def test_an_uploaded_bomb_is_refused_at_once(
    personas: dict[str, Any], tmp_path: Path, settings: Any
) -> None:
    from jiuye.ledger import jobs
    from jiuye.ledger.models import ImportJob

    bomb = zip_bomb(tmp_path / "bomb.xlsx", 1024)
    response, grew, seconds = peak_growth(lambda: _upload(personas["worker_a"], bomb))
    html = response.content.decode()
    assert "压缩比异常" in html and "xl/worksheets/sheet1.xml" in html
    assert not ImportJob.objects.exists()
    assert not any(jobs.upload_dir().iterdir())  # the upload is not kept
    assert grew < 50 and seconds < 5


def test_the_web_limits_are_smaller_than_the_command_line(
    personas: dict[str, Any], book: Book, tmp_path: Path, run_import: Any, settings: Any
) -> None:
    from jiuye.ledger.models import ImportJob
    from jiuye.ledger.readers import FileLimits

    assert FileLimits.upload().file_bytes < FileLimits.command_line().file_bytes
    assert FileLimits.upload().unpacked_bytes < FileLimits.command_line().unpacked_bytes
    path = book.save(tmp_path / "book.xlsx")
    settings.LEDGER_UPLOAD_MAX_FILE_MB = path.stat().st_size / MB / 2
    html = _upload(personas["worker_a"], path).content.decode()
    assert "文件过大" in html and not ImportJob.objects.exists()
    settings.LEDGER_UPLOAD_MAX_FILE_MB = 50
    settings.LEDGER_UPLOAD_MAX_UNPACKED_MB = 0.001
    html = _upload(personas["worker_a"], path).content.decode()
    assert "解压后过大" in html and not ImportJob.objects.exists()
    assert "file_too_large" not in codes(run_import(path))  # the command line takes it


def test_only_writers_and_keepers_upload(
    personas: dict[str, Any], book: Book, tmp_path: Path
) -> None:
    """Who may upload at all (issue 11, finding 4: "any worker can upload" is now the roles
    that keep the registry; issue 16: and the street and the district, whose check then refuses
    any registry sheet): the auditor gets 403, nothing is stored."""
    from jiuye.ledger import jobs
    from jiuye.ledger.models import ImportJob

    path = book.save(tmp_path / "book.xlsx")
    for name in ("auditor", "sysadmin"):
        assert _upload(personas[name], path).status_code == 403, name
    assert not ImportJob.objects.exists() and not any(jobs.upload_dir().iterdir())
    for name in ("worker_a", "grid_a1", "street", "district"):
        assert _upload(personas[name], path).status_code == 200, name
    assert ImportJob.objects.count() == 4

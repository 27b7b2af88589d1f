"""Recognise bytes that are not text at all: archives, images, documents, binary data."""

from __future__ import annotations

from pipeline.sniff.format import NotATableError

# Magic numbers of the non-text files people most often drop where a CSV was expected.
# Order matters: the ZIP entry is refined below into xlsx/docx/ods.
_MAGIC: list[tuple[bytes, str]] = [
    (b"\x1f\x8b", "a gzip-compressed file"),
    (b"BZh", "a bzip2-compressed file"),
    (b"\xfd7zXZ\x00", "an xz-compressed file"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"\x28\xb5\x2f\xfd", "a zstd-compressed file"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"PK\x05\x06", "an empty ZIP archive"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old-style Microsoft Office file (.xls/.doc)"),
    (b"PAR1", "a Parquet file"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"\x7fELF", "an executable program (ELF)"),
    (b"ARROW1", "an Arrow IPC file"),
    (b"Obj\x01", "an Avro data file"),
    (b"ORC", "an ORC file"),
]


def _zip_kind(data: bytes) -> str:
    """Name the Office format hiding in a ZIP container, from its first member names."""
    head = data[:4096]
    if b"xl/" in head or (b"[Content_Types].xml" in head and b"xl" in head):
        return "an Excel workbook (.xlsx)"
    if b"word/" in head:
        return "a Word document (.docx)"
    if b"opendocument.spreadsheet" in head:
        return "an OpenDocument spreadsheet (.ods)"
    return "a ZIP archive"


def reject_binary(data: bytes) -> None:
    """Raise `NotATableError` when `data` starts with a known binary file signature.

    Args:
        data: the first bytes of the file.

    Raises:
        NotATableError: naming the kind of file, e.g. "this is a gzip-compressed file, not text".
    """
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            name = _zip_kind(data) if magic.startswith(b"PK") else kind
            advice = ""
            if "compressed" in name:
                advice = "; decompress it first"
            elif "Excel" in name or "Office" in name or "OpenDocument" in name:
                advice = "; export the sheet as CSV first"
            raise NotATableError(f"this is {name}, not text{advice}")


def reject_nul_bytes(data: bytes) -> None:
    """Raise `NotATableError` when a non-UTF-16 sample contains NUL bytes (binary data)."""
    if b"\x00" in data:
        share = data.count(b"\x00") / len(data)
        raise NotATableError(
            f"this is binary data, not text: {share:.0%} of the first {len(data)} bytes "
            "are NUL bytes and they do not follow the UTF-16 pattern"
        )

"""Detect the text encoding of a sample and decode it."""

from __future__ import annotations

import codecs
import logging
import re
from dataclasses import dataclass

from pipeline.sniff.binary import reject_binary, reject_nul_bytes
from pipeline.sniff.format import NotATableError
from pipeline.sniff.single_byte import choose_western_codec

logger = logging.getLogger(__name__)

# chardet is slow on large inputs; the lines that hold non-ASCII bytes are what it needs.
_CHARDET_BYTES = 8 * 1024
_WINDOW_BYTES = 32 * 1024
_HIGH_RUN = re.compile(rb"[\x80-\xff]+")
# Names chardet may return, mapped to the codec names the project reports.
_CANONICAL = {
    "gb2312": "gbk",
    "gb18030": "gbk",
    "gbk": "gbk",
    "shift_jis": "cp932",
    "shift_jis_2004": "cp932",
    "shift_jisx0213": "cp932",
    "cp932": "cp932",
    "euc_kr": "cp949",
    "cp949": "cp949",
    "big5": "cp950",
    "big5hkscs": "big5hkscs",
    "iso8859-1": "latin-1",
    "latin_1": "latin-1",
    "windows-1252": "cp1252",
    "mac_roman": "mac_roman",
}
# Where non-ASCII bytes come in long runs: East Asian double-byte code pages, plus the
# single-byte pages of alphabets whose words are entirely non-ASCII.
_MULTIBYTE_FAMILIES = (
    "cp932",
    "shift_jis",
    "euc_jis_2004",
    "gb18030",
    "gbk",
    "gb2312",
    "big5",
    "cp949",
    "euc_kr",
    "cp1251",
    "koi8_r",
    "cp866",
    "iso8859-5",
    "cp1253",
    "iso8859-7",
    "cp1255",
    "cp1256",
    "cp874",
    "cp1250",
    "iso8859-2",
)
# Tried in order when chardet's answer does not decode the sample.
_FALLBACKS = ("cp932", "gbk", "gb18030", "cp949", "cp950", "cp1252", "latin-1")


@dataclass(frozen=True)
class DecodedSample:
    """A decoded sample and how it was decoded."""

    encoding: str
    text: str
    confidence: float
    note: str = ""


def _utf16_without_bom(data: bytes) -> str | None:
    """'utf-16-le' / 'utf-16-be' when NUL bytes sit on every other byte, else None."""
    head = data[:4096]
    if len(head) < 4 or b"\x00" not in head:
        return None
    even = head[0::2]
    odd = head[1::2]
    even_nul = even.count(0) / len(even)
    odd_nul = odd.count(0) / len(odd)
    if odd_nul > 0.3 and even_nul < 0.05:
        return "utf-16-le"
    if even_nul > 0.3 and odd_nul < 0.05:
        return "utf-16-be"
    return None


def _decode(data: bytes, codec: str, complete: bool) -> str | None:
    """Strictly decode; an incomplete sample may end inside a multibyte character."""
    decoder = codecs.getincrementaldecoder(codec)(errors="strict")
    try:
        return decoder.decode(data, final=complete)
    except UnicodeDecodeError:
        return None


def _cut_at_last_newline(data: bytes) -> bytes:
    """Drop the (possibly cut) last line of an 8-bit or UTF-8 sample."""
    cut = max(data.rfind(b"\n"), data.rfind(b"\r"))
    return data[: cut + 1] if cut > 0 else data


def _high_byte_lines(data: bytes) -> bytes:
    """The lines that contain non-ASCII bytes, up to a bounded size (input for chardet)."""
    parts: list[bytes] = []
    size = 0
    last_end = -1
    for match in _HIGH_RUN.finditer(data):
        if match.start() < last_end:
            continue
        start = data.rfind(b"\n", 0, match.start()) + 1
        end = data.find(b"\n", match.end())
        end = len(data) if end < 0 else end + 1
        parts.append(data[start:end])
        size += end - start
        last_end = end
        if size >= _CHARDET_BYTES:
            break
    return b"".join(parts)


def _non_ascii_window(data: bytes) -> bytes:
    """Up to 32 KiB from the first non-ASCII byte: enough evidence, bounded time."""
    first = _HIGH_RUN.search(data)
    start = data.rfind(b"\n", 0, first.start()) + 1 if first else 0
    return data[start : start + _WINDOW_BYTES]


def _is_multibyte_text(data: bytes) -> bool:
    """True when non-ASCII bytes come in runs (CJK, Cyrillic words), not alone (accents).

    Western accents stand alone between ASCII letters ("Wäßmann" is a rare pair); a CJK
    character is two bytes and a Cyrillic word is all non-ASCII. Shift_JIS trail bytes
    can be ASCII, which breaks runs, hence the two tests.
    """
    runs = [len(m.group()) for m in _HIGH_RUN.finditer(data)]
    total = sum(runs)
    if total < 4:
        return False
    in_runs = sum(length for length in runs if length >= 2)
    return total / len(runs) >= 3.0 or (total >= 12 and in_runs / total >= 0.6)


def _chardet_codec(data: bytes, complete: bool) -> tuple[str, float] | None:
    """Ask chardet, then normalise its answer to a codec that decodes the sample."""
    import chardet

    guess = chardet.detect(
        _high_byte_lines(data), compat_names=False, include_encodings=_MULTIBYTE_FAMILIES
    )
    name = guess.get("encoding")
    if not name:
        return None
    try:
        canonical = codecs.lookup(name).name
    except LookupError:
        return None
    codec = _CANONICAL.get(canonical, canonical)
    for candidate in (codec, canonical):
        if _decode(data, candidate, complete) is not None:
            return candidate, float(guess.get("confidence") or 0.0)
    return None


# Distinct non-ASCII characters that must decode as UTF-8 before an invalid byte for a
# file to count as "UTF-8 with another encoding pasted in" rather than a single-byte file
# whose bytes happen to form a UTF-8 pair now and then.
_MIXED_MIN_CHARS = 3


def _reject_mixed_utf8(data: bytes) -> None:
    """Refuse a sample that is valid UTF-8 with non-ASCII text, then stops being UTF-8.

    Such a file was assembled from parts written in different encodings; any single codec
    would silently turn one of the parts into mojibake.
    """
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        head = data[: error.start]
        text = head.decode("utf-8", errors="ignore")
        # Only lines before the one holding the bad byte count as evidence.
        evidence = text[: text.rfind("\n") + 1]
        non_ascii = {ch for ch in evidence if ord(ch) > 127}
        if len(non_ascii) >= _MIXED_MIN_CHARS:
            line = head.count(b"\n") + 1
            shown = "".join(sorted(non_ascii)[:5])
            raise NotATableError(
                f"the file mixes encodings: its first {line - 1} line(s) are UTF-8 (with "
                f"characters such as {shown}), but byte {error.start:,} on line {line} is "
                f"not valid UTF-8 (0x{data[error.start]:02x}); re-save it in one encoding"
            ) from None


def detect_encoding(data: bytes, *, complete: bool) -> DecodedSample:
    """Find the codec of `data` (a head sample of a file) and decode it.

    Order: BOMs, UTF-16 without BOM (NUL byte pattern), binary signatures and NUL bytes,
    strict ASCII (reported as utf-8 when the sample is not the whole file), strict UTF-8,
    then CJK/other multibyte text via chardet, and finally the Western single-byte code
    pages by plausibility of the decoded characters.

    Args:
        data: the first bytes of the file.
        complete: the sample is the whole file (its last line is not cut).

    Returns:
        The codec name (as labelled in the corpus: ascii, utf-8, utf-8-sig, utf-16,
        latin-1, cp1252, mac_roman, cp932, gbk...) and the decoded text without BOM.

    Raises:
        NotATableError: empty, binary or undecodable input.
    """
    if not data:
        raise NotATableError("the file is empty")
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        text = _decode(data[: len(data) - len(data) % 4], "utf-32", complete)
        if text is not None:
            return DecodedSample("utf-32", text, 1.0, "UTF-32 byte order mark")
    if data.startswith(codecs.BOM_UTF8):
        text = _decode(data[3:], "utf-8", complete)
        if text is None:
            raise NotATableError(
                "the file starts with a UTF-8 byte order mark but is not valid UTF-8"
            )
        return DecodedSample("utf-8-sig", text, 1.0, "UTF-8 byte order mark")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = _decode(data[: len(data) - len(data) % 2], "utf-16", complete)
        if text is None:
            raise NotATableError("the file starts with a UTF-16 byte order mark but is not UTF-16")
        return DecodedSample("utf-16", text, 1.0, "UTF-16 byte order mark")
    reject_binary(data)
    utf16 = _utf16_without_bom(data)
    if utf16:
        text = _decode(data[: len(data) - len(data) % 2], utf16, complete)
        if text is not None:
            return DecodedSample(utf16, text, 0.9, "UTF-16 without byte order mark")
    reject_nul_bytes(data)
    if data.isascii():
        if complete:
            return DecodedSample("ascii", data.decode("ascii"), 1.0)
        # The unseen rest of the file may hold non-ASCII text: UTF-8 reads ASCII the same
        # and is what such files nearly always turn out to be.
        return DecodedSample("utf-8", data.decode("ascii"), 0.9, "ASCII sample, UTF-8 assumed")
    trimmed = data if complete else _cut_at_last_newline(data)
    text = _decode(trimmed, "utf-8", complete)
    if text is not None:
        return DecodedSample("utf-8", text, 1.0)
    _reject_mixed_utf8(trimmed)
    window = _non_ascii_window(trimmed)
    if _is_multibyte_text(window):
        found = _chardet_codec(trimmed, complete)
        if found is not None:
            codec, chardet_confidence = found
            text = _decode(trimmed, codec, complete)
            if text is not None:
                logger.debug("chardet chose %s (%.2f)", codec, chardet_confidence)
                return DecodedSample(codec, text, max(0.5, min(0.9, 0.5 + chardet_confidence)))
        for codec in _FALLBACKS[:5]:
            text = _decode(trimmed, codec, complete)
            if text is not None:
                return DecodedSample(codec, text, 0.4, "fallback after chardet")
    codec, confidence = choose_western_codec(window)
    text = _decode(trimmed, codec, complete)
    if text is None:  # cp1252 leaves five bytes undefined; latin-1 decodes anything
        codec, text, confidence = "latin-1", trimmed.decode("latin-1"), 0.4
    return DecodedSample(codec, text, confidence)

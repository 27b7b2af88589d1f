"""Choose among the European single-byte code pages (latin-1, cp1252, mac_roman, cp1250).

Every byte decodes under all three, so the choice rests on how plausible the decoded
characters are in their context: an accented lower-case letter inside a word is
likely, an upper-case "Ê" between two lower-case letters or a "√" inside a word is not.
"""

from __future__ import annotations

import re
import unicodedata

WESTERN_CODECS = ("cp1252", "latin-1", "mac_roman", "cp1250")

# Accented letters that are common in Western European text (French, German, Spanish,
# Italian, Portuguese, Nordic); other letters from the upper half are rarer.
_COMMON_LETTERS = set("àáâãäåæçèéêëìíîïñòóôõöøùúûüýÿßœ" + "ÀÁÂÄÅÆÇÈÉÊÖØÜÑ")
# Central European letters (Polish, Czech, Slovak, Hungarian...): what cp1250 gives.
_COMMON_LETTERS |= set("ąćęłńśźżčďěňřšťůžőűĺľŕ" + "ĄĆĘŁŃŚŹŻČĎĚŇŘŠŤŮŽŐŰ")
# Typographic punctuation that Windows and Mac text is full of.
_TYPOGRAPHIC = set("‘’“”–—…•€£§°©®™«»·")
# Characters whose appearance points at the wrong code page (mostly mac_roman's math
# symbols or cp1252's rarely used letters decoded from Mac bytes).
_UNLIKELY = set("√∂∑∏π∫Ω≈∆◊‡ﬁﬂ‹›¬ƒ≠≤≥∞µ¶†¯˘˙˚¸˝˛ˇ¨´ˆ˜ı¤¦¹²³¼½¾×÷Ÿ")
_HIGH_RUN = re.compile(rb"[\x80-\xff]+")
_C1_BYTE = re.compile(rb"[\x80-\x9f]")
_HIGH_BYTES = bytes(range(0x80, 0x100))
# Classic UTF-8-read-as-8-bit mojibake: "Ã" or "Â" followed by a Latin-1 symbol. When a
# code page reproduces these, it maps the bytes to the characters the file really stores.
_MOJIBAKE = re.compile("[ÃÂ][\u00a0-\u00bf_]")


def _char_score(char: str, before: str, after: str) -> float:
    """Plausibility of one decoded upper-half character between its two neighbours."""
    category = unicodedata.category(char)
    if category.startswith("C"):
        return -6.0  # control or unassigned: the code page cannot be right
    letter_before = before.isalpha()
    letter_after = after.isalpha()
    if char == "\u00a0":
        return 1.0
    if char in _TYPOGRAPHIC:
        if char in "’'" and letter_before and letter_after:
            return 2.5  # apostrophe inside a word: they’re
        return 1.5
    if char in _UNLIKELY:
        return -2.0
    if category == "Ll":
        bonus = 2.0 if char in _COMMON_LETTERS else 1.0
        return bonus if (letter_before or letter_after) else 0.0
    if category == "Lu":
        if before.islower() and (after.islower() or not after.isalpha()):
            return -2.0  # upper-case letter glued to the end of a lower-case word
        if char in _COMMON_LETTERS:
            return 1.0
        return 0.5
    return 0.0


def score_codec(data: bytes, codec: str) -> float:
    """Sum of plausibility scores of every upper-half character in `data` decoded as `codec`."""
    total = 0.0
    for match in _HIGH_RUN.finditer(data):
        start = max(0, match.start() - 1)
        chunk = data[start : match.end() + 1].decode(codec, errors="replace")
        offset = match.start() - start
        text = chunk
        for index in range(offset, offset + (match.end() - match.start())):
            before = text[index - 1] if index > 0 else " "
            after = text[index + 1] if index + 1 < len(text) else " "
            total += _char_score(text[index], before, after)
        if _MOJIBAKE.search(text):
            total += 3.0
    return total


def choose_western_codec(data: bytes) -> tuple[str, float]:
    """The most plausible of latin-1, cp1252, mac_roman and cp1250, with a confidence.

    latin-1 is preferred over cp1252 when no byte falls in 0x80-0x9F (both decode such
    bytes identically); mac_roman and cp1250 must win clearly, since Western Windows
    files are by far the commonest kind.
    """
    has_c1 = _C1_BYTE.search(data) is not None
    scores = {codec: score_codec(data, codec) for codec in ("cp1252", "mac_roman", "cp1250")}
    windows = "cp1252" if has_c1 else "latin-1"
    high = len(data) - len(data.translate(None, _HIGH_BYTES))
    rival = max(("mac_roman", "cp1250"), key=lambda codec: scores[codec])
    margin = scores[rival] - scores["cp1252"]
    if margin > max(3.0, 0.25 * high):
        return rival, min(0.95, 0.6 + margin / (4 * high + 4))
    if has_c1 and scores["cp1252"] < 0 and margin > 0:
        return rival, 0.5
    confidence = 0.85 if margin < -3 else 0.7
    return windows, confidence

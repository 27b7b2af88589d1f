"""Encodings real files use, told apart by their bytes."""

from __future__ import annotations

import pytest

from pipeline.sniff import detect_format
from pipeline.sniff.encoding import detect_encoding

pytestmark = pytest.mark.unit

ROWS = [
    ("Café de la Paix", "Zoë's crème brûlée", "3"),
    ("Müller", "Grüße aus Köln", "5"),
    ("Señora Núñez", "año próximo", "8"),
    ("Ærø", "smørrebrød", "13"),
    ("François", "déjà vu à Genève", "21"),
    ("Søren", "blåbær", "34"),
]


def _table(encoding: str, extra: str = "") -> bytes:
    lines = ["name,comment,count"] + [",".join(row) for row in ROWS]
    return ("\n".join(lines) + "\n" + extra).encode(encoding)


def test_pure_ascii_is_ascii() -> None:
    assert detect_encoding(b"a,b\n1,2\n", complete=True).encoding == "ascii"


def test_ascii_head_of_a_longer_file_is_read_as_utf8() -> None:
    # The rest of the file is unseen and may hold non-ASCII text.
    assert detect_encoding(b"a,b\n1,2\n3,", complete=False).encoding == "utf-8"


def test_utf8_and_bom() -> None:
    assert detect_encoding(_table("utf-8"), complete=True).encoding == "utf-8"
    assert detect_encoding(_table("utf-8-sig"), complete=True).encoding == "utf-8-sig"


def test_latin1_without_windows_bytes_is_latin1() -> None:
    assert detect_encoding(_table("latin-1"), complete=True).encoding == "latin-1"


def test_smart_quotes_make_it_cp1252() -> None:
    data = _table("cp1252", "Dupont,“Le Monde” – l’édition du soir…,55\n")
    assert detect_encoding(data, complete=True).encoding == "cp1252"


def test_excel_for_mac_is_mac_roman() -> None:
    data = _table("mac_roman", "Dupont,it’s\u00a0fine\u00a0and\u00a0done,55\n")
    decoded = detect_encoding(data, complete=True)
    assert decoded.encoding == "mac_roman"
    assert "Grüße aus Köln" in decoded.text


@pytest.mark.parametrize(
    ("encoding", "text"),
    [
        ("cp932", "東京都,千代田区,ｲｶﾆｹｲｻｲｶﾞﾅｲﾊﾞｱｲ,以下に掲載がない場合"),
        ("gbk", "北京市,朝阳区,图书销售额,订单编号"),
    ],
)
def test_east_asian_double_byte(encoding: str, text: str) -> None:
    data = ("a,b,c,d\n" + "\n".join([text] * 20) + "\n").encode(encoding)
    decoded = detect_encoding(data, complete=True)
    assert decoded.encoding == encoding
    assert text in decoded.text


def test_utf16_without_bom_by_nul_pattern() -> None:
    data = _table("utf-16-be")
    decoded = detect_encoding(data, complete=True)
    assert decoded.encoding == "utf-16-be"
    assert decoded.text.startswith("name,comment,count")


def test_wine_like_decimal_comma_end_to_end() -> None:
    data = (
        "fixed acidity;volatile acidity;density;quality\n"
        + "".join(f"7,{i};0,{i + 10};0,99{i}8;{5 + i % 3}\n" for i in range(30))
    ).encode("ascii")
    fmt = detect_format(data, complete=True)
    assert (fmt.encoding, fmt.delimiter, fmt.decimal, fmt.has_header) == ("ascii", ";", ",", True)


@pytest.mark.parametrize(
    "text",
    [
        "imię;nazwisko;miasto\nŁukasz;Wąsowski;Łódź\nZofia;Będzińska;Kraków\nJędrzej;Kuźniar;Gdańsk\n",
        "jméno;město\nJiří;Děčín\nŠárka;Ústí nad Labem\nTomáš;Plzeň\nRůžena;Žďár\n",
    ],
    ids=["polish", "czech"],
)
def test_central_european_windows_text_is_cp1250(text: str) -> None:
    decoded = detect_encoding(text.encode("cp1250"), complete=True)
    assert decoded.encoding == "cp1250"
    assert decoded.text == text

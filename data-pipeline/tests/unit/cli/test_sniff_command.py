"""`pipeline sniff` as a user runs it."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.cli import main
from testdata import RED_WINE

pytestmark = pytest.mark.unit

CONTRACT_KEYS = [
    "file",
    "encoding",
    "delimiter",
    "quotechar",
    "escapechar",
    "has_header",
    "decimal",
    "skip_rows",
    "confidence",
]


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    german = tmp_path / "daten.csv"
    german.write_bytes(
        "Name;Betrag\r\nMüller;3524,52\r\nWäßmann;2855,2\r\nEsser;12,5\r\n".encode("cp1252")
    )
    packed = tmp_path / "packed.csv.gz"
    packed.write_bytes(gzip.compress(b"a,b\n1,2\n"))
    return {"german": german, "packed": packed}


def test_json_lines_follow_the_contract_in_order(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["sniff", str(RED_WINE), str(files["german"]), "--json"])
    lines = capsys.readouterr().out.strip().splitlines()
    assert code == 0
    first, second = (json.loads(line) for line in lines)
    assert list(first) == CONTRACT_KEYS
    assert first["file"] == str(RED_WINE)
    assert (first["delimiter"], first["decimal"], first["has_header"]) == (";", ".", True)
    assert (second["delimiter"], second["decimal"], second["encoding"]) == (";", ",", "latin-1")
    assert 0.0 <= second["confidence"] <= 1.0


def test_a_file_that_is_not_a_table_is_reported_and_the_rest_still_sniffed(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["sniff", str(files["packed"]), str(files["german"]), "--json"])
    lines = [json.loads(line) for line in capsys.readouterr().out.strip().splitlines()]
    assert code == 2
    assert lines[0] == {
        "file": str(files["packed"]),
        "error": "this is a gzip-compressed file, not text; decompress it first",
    }
    assert lines[1]["delimiter"] == ";"


def test_readable_output_without_json(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["sniff", str(files["german"]), str(files["german"].with_name("missing.csv"))])
    out = capsys.readouterr().out.splitlines()
    assert code == 2
    assert out[0].startswith(f"{files['german']}: semicolon-separated, latin-1, decimal comma")
    assert out[1] == f"{files['german'].with_name('missing.csv')}: cannot sniff: no such file"


def test_installed_console_script(files: dict[str, Path]) -> None:
    script = Path(sys.executable).with_name("pipeline")
    if not script.is_file():
        pytest.skip(f"console script not installed next to {sys.executable}")
    result = subprocess.run(
        [str(script), "sniff", "--json", str(files["german"])],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    assert record["decimal"] == ","
    help_text = subprocess.run(
        [str(script), "sniff", "--help"], capture_output=True, text=True, timeout=120, check=False
    ).stdout
    assert "--json" in help_text and "Exit code 0" in help_text

"""The detected format of a delimited text file."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


class NotATableError(ValueError):
    """The bytes are not a delimited text table (binary, empty, one column of prose...).

    The message says in plain words what the file looks like instead.
    """


@dataclass(frozen=True)
class CsvFormat:
    """Everything needed to parse a file: encoding, dialect, header, decimal mark.

    The first eight fields (after `encoding`) are the `pipeline sniff --json` contract.
    """

    encoding: str
    delimiter: str
    quotechar: str | None = '"'
    escapechar: str | None = None
    has_header: bool = True
    decimal: str = "."
    skip_rows: int = 0
    confidence: float = 1.0
    # Beyond the contract: helpful for parsing and for people reading the log.
    line_terminator: str = "\n"
    comment: str | None = None
    skipinitialspace: bool = False
    header_rows: int = 1
    thousands: str | None = None
    notes: list[str] = field(default_factory=list)

    def contract_dict(self) -> dict[str, Any]:
        """The fields promised by CONTRACTS.md for `pipeline sniff --json`, in order."""
        return {
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "quotechar": self.quotechar,
            "escapechar": self.escapechar,
            "has_header": self.has_header,
            "decimal": self.decimal,
            "skip_rows": self.skip_rows,
            "confidence": round(self.confidence, 4),
        }

    def as_dict(self) -> dict[str, Any]:
        """Every field, for logs and error reports."""
        return asdict(self)

    def describe(self) -> str:
        """One line a person can read: `semicolon-separated, utf-8, decimal comma, header`."""
        names = {
            ",": "comma",
            ";": "semicolon",
            "\t": "tab",
            "|": "pipe",
            ":": "colon",
            " ": "space",
        }
        parts = [
            f"{names.get(self.delimiter, repr(self.delimiter))}-separated",
            self.encoding,
            "decimal comma" if self.decimal == "," else "decimal point",
            "header" if self.has_header else "no header",
        ]
        if self.skip_rows:
            parts.append(f"{self.skip_rows} preamble line(s) skipped")
        return ", ".join(parts) + f" (confidence {self.confidence:.2f})"

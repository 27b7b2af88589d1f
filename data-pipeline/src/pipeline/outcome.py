"""The result of ingesting one raw file, and the error that sends a file to quarantine."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Status = Literal["curated", "quarantined", "already_processed"]


class DataProblem(ValueError):
    """Something wrong with a file's content; the message is the quarantine reason."""

    def __init__(self, reason: str, details: list[str] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.details = details or []


@dataclass
class IngestOutcome:
    """What happened to one raw file, JSON-able for logs, XCom and the CLI."""

    raw_key: str
    dataset: str
    sha256: str
    status: Status
    destination_key: str
    curated_key: str | None = None
    rows_read: int = 0
    rows_written: int = 0
    duplicate_rows: int = 0
    duplicates_dropped: int = 0
    coerced_cells: dict[str, int] = field(default_factory=dict)
    format: dict[str, Any] | None = None
    reason: str | None = None
    details: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    validation_report_key: str | None = None
    warnings: list[str] = field(default_factory=list)
    # The bytes' sha256 combined with the Hive folders (see layout.batch_identity).
    batch_id: str = ""

    def to_dict(self) -> dict[str, Any]:
        """A plain dict (JSON-serialisable)."""
        return asdict(self)

    def summary(self) -> str:
        """One line for logs and the CLI."""
        if self.status == "quarantined":
            return f"{self.raw_key}: quarantined -> {self.destination_key}: {self.reason}"
        dup = f", {self.duplicate_rows} exact duplicate rows"
        dup += (
            f" ({'dropped' if self.duplicates_dropped else 'kept'})" if self.duplicate_rows else ""
        )
        return (
            f"{self.raw_key}: {self.status}, {self.rows_read} rows read, "
            f"{self.rows_written} written{dup} -> {self.curated_key}"
        )

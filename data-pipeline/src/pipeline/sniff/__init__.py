"""Format detection: encoding, dialect, header, decimal mark of any delimited file."""

from pipeline.sniff.detect import detect_format, detect_format_of_file
from pipeline.sniff.format import CsvFormat, NotATableError

__all__ = ["CsvFormat", "NotATableError", "detect_format", "detect_format_of_file"]

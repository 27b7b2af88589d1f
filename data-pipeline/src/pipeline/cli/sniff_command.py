"""`pipeline sniff FILE... [--json]`: what format is this file?"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import Any

from pipeline.sniff import NotATableError, detect_format_of_file
from pipeline.sniff.detect import DEFAULT_SAMPLE_BYTES

logger = logging.getLogger(__name__)

EXIT_NOT_A_TABLE = 2

DESCRIPTION = """\
Detect how each FILE is written, without changing it: text encoding, field
delimiter, quote and escape characters, whether the first row holds column names,
the decimal mark, and how many preamble/comment lines come before the table.
Only the first --sample-bytes of each file are read.

Without --json, one readable line per file. With --json, one JSON object per line,
in the order the files were given:
  {"file", "encoding", "delimiter", "quotechar", "escapechar", "has_header",
   "decimal", "skip_rows", "confidence"}
quotechar/escapechar are null when the file has none; encoding is a Python codec
name; confidence is between 0 and 1.

A file that is not a table (empty, binary, compressed, a spreadsheet, prose) is
reported with the reason - {"file", "error"} with --json - and the other files are
still sniffed. Exit code 0 when every file was sniffed, 2 when any was not.
"""

EPILOG = """\
examples:
  pipeline sniff winequality-red.csv
  pipeline sniff data/*.csv --json
"""


def register(subparsers: Any) -> None:
    """Add the `sniff` sub-command."""
    parser = subparsers.add_parser(
        "sniff",
        help="detect a file's encoding, delimiter, quoting, header and decimal mark",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE", help="files to sniff")
    parser.add_argument(
        "--json", action="store_true", help="print one JSON object per file (see above)"
    )
    parser.add_argument(
        "--sample-bytes",
        type=int,
        default=None,
        metavar="N",
        help=(
            "read at most N bytes of each file (default: PIPELINE_SNIFF_SAMPLE_BYTES, "
            f"{DEFAULT_SAMPLE_BYTES})"
        ),
    )
    parser.set_defaults(func=run)


def _sniff_one(path: Path, sample_bytes: int) -> dict[str, Any]:
    """The contract object for one file, or {"file", "error"} in plain words."""
    try:
        fmt = detect_format_of_file(path, sample_bytes)
    except NotATableError as error:
        return {"file": str(path), "error": str(error)}
    except IsADirectoryError:
        return {"file": str(path), "error": "this is a directory, not a file"}
    except FileNotFoundError:
        return {"file": str(path), "error": "no such file"}
    except OSError as error:
        return {"file": str(path), "error": f"cannot read the file: {error.strerror or error}"}
    logger.info("%s: %s", path, fmt.as_dict())
    return {"file": str(path), **fmt.contract_dict(), "_describe": fmt.describe()}


def run(args: argparse.Namespace) -> int:
    """Sniff every file in order; print a line (or a JSON object) per file."""
    from pipeline.settings import get_settings

    sample_bytes = args.sample_bytes or get_settings().sniff_sample_bytes
    failed = False
    for path in args.files:
        result = _sniff_one(path, max(1, sample_bytes))
        description = result.pop("_describe", None)
        failed = failed or "error" in result
        if args.json:
            print(json.dumps(result, ensure_ascii=False), flush=True)
        elif "error" in result:
            print(f"{path}: cannot sniff: {result['error']}", flush=True)
        else:
            print(f"{path}: {description}", flush=True)
    return EXIT_NOT_A_TABLE if failed else 0

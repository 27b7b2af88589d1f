"""Find the decimal mark and thousands separator of the table's numeric columns."""

from __future__ import annotations

import re
from dataclasses import dataclass

# A number with a decimal comma that cannot be a thousands group: "0,9978", "3524,5",
# "1.234,56"; and the same for a decimal point. Three digits after a single separator
# ("28,801") are ambiguous and decided by the column's other values.
_COMMA_DECIMAL = re.compile(r"[-+]?(?:\d{1,3}(?:\.\d{3})+|\d+)?,(?:\d{1,2}|\d{4,})%?")
_COMMA_DECIMAL_GROUPED = re.compile(r"[-+]?\d{1,3}(?:\.\d{3})+,\d+%?")
_POINT_DECIMAL = re.compile(
    r"[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)?\.(?:\d{1,2}|\d{4,})(?:[eE][-+]?\d+)?%?"
)
_POINT_DECIMAL_GROUPED = re.compile(r"[-+]?\d{1,3}(?:,\d{3})+\.\d+%?")
_AMBIGUOUS_COMMA = re.compile(r"[-+]?\d{1,3},\d{3}")
_AMBIGUOUS_POINT = re.compile(r"[-+]?\d{1,3}\.\d{3}")
_COMMA_GROUPS = re.compile(r"[-+]?\d{1,3}(?:,\d{3}){2,}(?:\.\d+)?|[-+]?\d{1,3},\d{3}\.\d+")
_POINT_GROUPS = re.compile(r"[-+]?\d{1,3}(?:\.\d{3}){2,}(?:,\d+)?|[-+]?\d{1,3}\.\d{3},\d+")
_DIGIT_MARK_DIGIT = re.compile(r"\d[.,]\d")
# Currency and units around a number ("CHF 12,50", "45,06 €") do not change its marks.
_AFFIXES = re.compile(r"^[^\d+-]{0,4}|[^\d%]{0,4}$")


@dataclass(frozen=True)
class NumberMarks:
    """Decimal mark, thousands separator (or None) and how much evidence there was."""

    decimal: str
    thousands: str | None
    comma_columns: int
    point_columns: int


def _column_marks(values: list[str]) -> tuple[int, int, int, int, int, int]:
    comma = point = ambiguous_comma = ambiguous_point = comma_groups = point_groups = 0
    for raw in values:
        if _DIGIT_MARK_DIGIT.search(raw) is None:
            continue  # integers, text, dates without marks: no evidence either way
        value = _AFFIXES.sub("", raw.strip()).replace(" ", "")
        if _COMMA_DECIMAL.fullmatch(value) or _COMMA_DECIMAL_GROUPED.fullmatch(value):
            comma += 1
        elif _POINT_DECIMAL.fullmatch(value) or _POINT_DECIMAL_GROUPED.fullmatch(value):
            point += 1
        elif _AMBIGUOUS_COMMA.fullmatch(value):
            ambiguous_comma += 1
        elif _AMBIGUOUS_POINT.fullmatch(value):
            ambiguous_point += 1
        if _COMMA_GROUPS.fullmatch(value):
            comma_groups += 1
        elif _POINT_GROUPS.fullmatch(value):
            point_groups += 1
    return comma, point, ambiguous_comma, ambiguous_point, comma_groups, point_groups


def detect_number_marks(data: list[list[str]], width: int) -> NumberMarks:
    """Vote per column: a column whose numbers use decimal commas counts for ",".

    A file with any clearly decimal-comma column and at least as many of those as
    decimal-point columns gets ","; ambiguous "1,234"-like cells follow the winner.
    Files without fractional numbers keep the default ".".
    """
    comma_columns = point_columns = 0
    ambiguous_comma_columns = 0
    comma_grouped = point_grouped = 0
    for index in range(width):
        values = list({row[index] for row in data if index < len(row)})
        comma, point, amb_comma, amb_point, groups_c, groups_p = _column_marks(values)
        if comma > point:
            comma_columns += 1
        elif point > comma:
            point_columns += 1
        elif amb_comma and not amb_point:
            ambiguous_comma_columns += 1
        comma_grouped += groups_c
        point_grouped += groups_p
    decimal = "," if comma_columns and comma_columns >= point_columns else "."
    thousands: str | None = None
    if decimal == "." and (comma_grouped or ambiguous_comma_columns) and not comma_columns:
        thousands = ","
    elif decimal == "," and point_grouped:
        thousands = "."
    return NumberMarks(decimal, thousands, comma_columns, point_columns)

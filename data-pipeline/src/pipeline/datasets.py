"""Dataset declarations: `datasets/<name>.yaml` parsed into a typed spec."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

ColumnType = Literal["float", "integer", "boolean", "string", "category", "datetime"]
Severity = Literal["critical", "warning"]


class ColumnSpec(BaseModel):
    """One expected column of the cleaned data."""

    model_config = ConfigDict(extra="forbid")

    type: ColumnType
    nullable: bool = False
    min: float | None = None
    max: float | None = None
    categories: list[str] | None = None
    # critical: a failing check quarantines the batch; warning: logged and kept.
    severity: Severity = "critical"


class RatingBand(BaseModel):
    """A label for predictions below a bound (the last band has no bound)."""

    model_config = ConfigDict(extra="forbid")

    label: str
    below: float | None = None


class DatasetSpec(BaseModel):
    """What a dataset must look like and how to learn from it."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_]*$")
    description: str = ""
    target: str
    task: Literal["regression", "classification"]
    duplicates: Literal["keep", "drop"] = "keep"
    min_rows: int = Field(default=1, ge=0)
    columns: dict[str, ColumnSpec]
    rating_bands: list[RatingBand] = Field(default_factory=list)
    drift_threshold: float = Field(
        default=0.2, gt=0, description="PSI above which a feature drifts"
    )

    @model_validator(mode="after")
    def _check(self) -> DatasetSpec:
        if self.target not in self.columns:
            raise ValueError(f"target {self.target!r} is not one of the declared columns")
        bounds = [band.below for band in self.rating_bands]
        if bounds and (bounds[-1] is not None or None in bounds[:-1]):
            raise ValueError("every rating band but the last needs `below`; the last has none")
        return self

    @property
    def feature_names(self) -> list[str]:
        """Declared columns other than the target, in declaration order."""
        return [name for name in self.columns if name != self.target]

    def rating_for(self, value: float) -> str | None:
        """The rating band label for a predicted value, or None without bands."""
        for band in self.rating_bands:
            if band.below is None or value < band.below:
                return band.label
        return None


class DatasetNotFoundError(LookupError):
    """No `datasets/<name>.yaml` for the requested dataset."""


def load_dataset_spec(name: str, datasets_dir: Path) -> DatasetSpec:
    """Read and validate `datasets_dir/<name>.yaml`; errors say which file and why."""
    path = datasets_dir / f"{name}.yaml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in datasets_dir.glob("*.yaml"))) or "none"
        raise DatasetNotFoundError(
            f"no dataset {name!r}: expected {path} (known datasets: {known})"
        )
    try:
        spec = DatasetSpec.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except ValidationError as error:
        raise ValueError(f"{path} is not a valid dataset declaration:\n{error}") from error
    if spec.name != name:
        raise ValueError(f"{path} declares name {spec.name!r}; the file name says {name!r}")
    return spec


def list_dataset_specs(datasets_dir: Path) -> list[DatasetSpec]:
    """Every dataset declared in `datasets_dir`."""
    return [load_dataset_spec(p.stem, datasets_dir) for p in sorted(datasets_dir.glob("*.yaml"))]

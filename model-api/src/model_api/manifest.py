"""The registry's files as typed objects: champion.json and manifest.json (MODEL_FORMAT.md)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

VERSION_PATTERN = r"^v\d{8}T\d{6}Z-[0-9a-f]{8}$"


class _Frozen(BaseModel):
    # Unknown keys are kept out but tolerated: the writer may add fields later.
    model_config = ConfigDict(frozen=True, extra="ignore")


class Champion(_Frozen):
    """`models/<dataset>/champion.json`: which version serves."""

    dataset: str
    version: str
    manifest: str
    manifest_sha256: str = Field(pattern=r"^[0-9a-fA-F]{64}$")
    promoted_at: str | None = None
    reason: str | None = None
    previous: str | None = None


class Feature(_Frozen):
    """One request field, in model input order."""

    name: str = Field(pattern=r"^[a-z0-9_]+$")
    type: Literal["number", "integer", "category"]
    min: float | None = None
    max: float | None = None
    categories: tuple[str, ...] | None = None
    nullable: bool = False

    @model_validator(mode="after")
    def _categories_for_category(self) -> Feature:
        if self.type == "category" and not self.categories:
            raise ValueError(f"category feature {self.name!r} lists no categories")
        return self


class RatingBand(_Frozen):
    """A prediction p gets the first band whose `below` is greater than p (None: no bound)."""

    label: str
    below: float | None = None


class NumericStep(_Frozen):
    """A numeric design-matrix column and its imputation value."""

    name: str
    impute: float


class CategoricalStep(_Frozen):
    """One-hot columns for a categorical feature, and its imputation value."""

    name: str
    categories: tuple[str, ...]
    impute: str


class Preprocessing(_Frozen):
    """How a request row becomes a design-matrix row."""

    numeric: tuple[NumericStep, ...] = ()
    categorical: tuple[CategoricalStep, ...] = ()

    @property
    def width(self) -> int:
        """Number of design-matrix columns."""
        return len(self.numeric) + sum(len(c.categories) for c in self.categorical)


class Artifact(_Frozen):
    """A file in the version folder, with its promised hash."""

    path: str
    sha256: str = Field(pattern=r"^[0-9a-fA-F]{64}$")
    bytes: int | None = None


class Manifest(_Frozen):
    """`models/<dataset>/<version>/manifest.json`, schema_version 1."""

    schema_version: Literal[1]
    dataset: str
    version: str
    created_at: str | None = None
    trained_at: str | None = None
    task: Literal["regression", "classification"]
    target: str
    features: tuple[Feature, ...] = Field(min_length=1)
    classes: tuple[Any, ...] | None = None
    rating_bands: tuple[RatingBand, ...] | None = None
    example: dict[str, Any]
    preprocessing: Preprocessing
    artifacts: dict[str, Artifact]
    metrics: dict[str, Any] = Field(default_factory=dict)
    params: dict[str, Any] = Field(default_factory=dict)
    training_data: dict[str, Any] = Field(default_factory=dict)
    library_versions: dict[str, Any] = Field(default_factory=dict)
    git_commit: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Manifest:
        names = [f.name for f in self.features]
        if len(set(names)) != len(names):
            raise ValueError("manifest lists a feature twice")
        used = [s.name for s in self.preprocessing.numeric]
        used += [s.name for s in self.preprocessing.categorical]
        unknown = sorted(set(used) - set(names))
        if unknown:
            raise ValueError(f"preprocessing uses features not in the manifest: {unknown}")
        if self.task == "classification" and not self.classes:
            raise ValueError("a classification manifest must list its classes")
        missing = sorted(set(names) - set(self.example))
        if missing:
            raise ValueError(f"the manifest's example lacks features {missing}")
        return self

    def rating(self, prediction: float) -> str | None:
        """The label of the first band whose `below` exceeds the prediction."""
        if not self.rating_bands or self.task != "regression":
            return None
        for band in self.rating_bands:
            if band.below is None or prediction < band.below:
                return band.label
        return None

    def public(self) -> dict[str, Any]:
        """What GET /model shows: the manifest minus storage details."""
        data = self.model_dump(mode="json", exclude={"artifacts"})
        data["trained_at"] = self.trained_at or self.created_at
        data["artifacts"] = {
            k: {"sha256": a.sha256, "bytes": a.bytes} for k, a in self.artifacts.items()
        }
        return data

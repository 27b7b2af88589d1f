"""Request models generated from a manifest's features (rebuilt whenever the model changes).

Rules, the same for single rows and for each batch instance:
- every feature is required (a missing one is a 422 naming it); a nullable feature may be null;
- numbers are JSON numbers, finite (NaN / Infinity refused); strings are not coerced;
- a category must be one of the manifest's categories (an unknown one is a 422 naming the field);
- unknown fields are refused (422 naming them): a misspelt feature must not be silently ignored
  and replaced by the imputation value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from model_api.manifest import Feature, Manifest

BATCH_KEY = "instances"


def _field_type(feature: Feature) -> Any:
    description = f"{feature.type}"
    if feature.min is not None and feature.max is not None:
        description += f"; training data ranged {feature.min:g} to {feature.max:g}"
    if feature.type == "category":
        base: Any = Literal[tuple(feature.categories or ())]
        annotated: Any = Annotated[base, Field(description=description)]
    elif feature.type == "integer":
        annotated = Annotated[int, Field(strict=True, description=description)]
    else:
        annotated = Annotated[
            float, Field(strict=True, allow_inf_nan=False, description=description)
        ]
    return annotated | None if feature.nullable else annotated


@dataclass(frozen=True)
class RequestSchema:
    """Pydantic models for one manifest: a row, and a batch of rows."""

    row: type[BaseModel]
    batch: type[BaseModel]
    example: dict[str, Any]

    def json_schemas(self) -> dict[str, dict[str, Any]]:
        """OpenAPI component schemas: `Features` and `Batch` (refs rewritten)."""
        batch = self.batch.model_json_schema(ref_template="#/components/schemas/{model}")
        defs = batch.pop("$defs", {})
        row = defs.pop("Features", self.row.model_json_schema())
        row["example"] = self.example
        batch["example"] = {BATCH_KEY: [self.example]}
        return {"Features": row, "Batch": batch, **defs}


def build_request_schema(manifest: Manifest, max_batch: int) -> RequestSchema:
    """Generate the row and batch models from the manifest's features."""
    fields: dict[str, Any] = {f.name: (_field_type(f), ...) for f in manifest.features}
    row: type[BaseModel] = create_model(
        "Features",
        __config__=ConfigDict(extra="forbid", title="Features"),
        __doc__=f"One {manifest.dataset} row; features of model {manifest.version}.",
        **fields,
    )
    rows_type: Any = list[row]  # type: ignore[valid-type]
    batch: type[BaseModel] = create_model(
        "Batch",
        __config__=ConfigDict(extra="forbid", title="Batch"),
        __doc__=f"Up to {max_batch} rows predicted in one request.",
        instances=(Annotated[rows_type, Field(min_length=1, max_length=max_batch)], ...),
    )
    example = {f.name: manifest.example.get(f.name) for f in manifest.features}
    return RequestSchema(row=row, batch=batch, example=example)


def is_batch(payload: Any, manifest: Manifest) -> bool:
    """A body is a batch when it is `{"instances": ...}` and no feature is named so."""
    return (
        isinstance(payload, dict)
        and BATCH_KEY in payload
        and all(f.name != BATCH_KEY for f in manifest.features)
    )

"""Request and response bodies of the prediction API, built from the data contract.

:func:`request_model` turns contract.yaml into a pydantic model, so the API's fields,
their OpenAPI descriptions and examples, and the checks on each value (type, bounds,
allowed categories, nullability) always match the contract the model was trained on.
Types are strict: a boolean is not a number and "1.5" is not a float.
"""

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, Strict, create_model

from .contract import Contract, Feature

# Unknown fields are rejected so a misspelt feature name fails loudly.
_RECORD_CONFIG = ConfigDict(extra="forbid", allow_inf_nan=False, populate_by_name=False)
# The cap bounds the work (and memory) one request can cause.
MAX_RECORDS = 1000


def _field_type(feature: Feature) -> Any:
    if feature.kind == "boolean":
        kind: Any = Annotated[bool, Strict()]
    elif feature.kind == "integer":
        kind = Annotated[int, Strict()]
    elif feature.kind == "numeric":
        kind = Annotated[float, Strict()]
    elif feature.categories is not None:
        kind = Literal[tuple(feature.categories)]
    else:
        kind = Annotated[str, Strict()]
    return kind | None if feature.nullable else kind


def record_field_names(contract: Contract) -> list[str]:
    """Python names of the record model's fields, in contract order. Column names need
    not be identifiers ("body mass (g)"): the JSON key is the field's alias."""
    return [f"f{position}" for position in range(len(contract.features))]


def request_model(contract: Contract) -> type[BaseModel]:
    """The PredictRequest model of ``contract``: {"records": [Record, ...]}."""
    fields: dict[str, Any] = {}
    for python_name, feature in zip(record_field_names(contract), contract.features, strict=True):
        bounds = (
            {"ge": feature.min, "le": feature.max} if feature.kind in ("numeric", "integer") else {}
        )
        options: dict[str, Any] = {
            # Nullable features may be left out: a missing value, imputed by the model.
            "default": None if feature.nullable else ...,
            "alias": feature.name,
            "title": feature.name,
            "description": feature.description or None,
            "examples": [feature.example_value()],
            **{key: value for key, value in bounds.items() if value is not None},
        }
        fields[python_name] = (_field_type(feature), Field(**options))
    record = create_model(
        "Record",
        __config__=_RECORD_CONFIG,
        __doc__="One observation to score, in the units of the training data.",
        **fields,
    )
    return create_model(
        "PredictRequest",
        __config__=ConfigDict(extra="forbid"),
        records=(list[record], Field(min_length=1, max_length=MAX_RECORDS)),  # type: ignore[valid-type]
    )


# A predicted class keeps the type of the training labels (true, 2 or "Adelie"); a
# regression's prediction is a float. The order matters only for pydantic's
# smart-mode tie-breaks: exact type matches win.
PredictedValue = bool | int | float | str


class Prediction(BaseModel):
    prediction: PredictedValue = Field(
        description="Predicted class (in the type of the training labels) or value"
    )
    # Probability of each class, keyed by the label as text; absent for regression.
    probabilities: dict[str, float] | None = Field(
        default=None, description="Probability of each class (classification)"
    )


class PredictResponse(BaseModel):
    model_name: str
    model_version: str
    predictions: list[Prediction]


class Metadata(BaseModel):
    model_name: str
    model_version: str
    run_id: str
    aliases: list[str]
    metrics: dict[str, float]
    features: list[str]
    target: str


class Status(BaseModel):
    status: str
    detail: str | None = None
    # The model being served (after a reload, the new one), once one is loaded.
    model_name: str | None = None
    model_version: str | None = None

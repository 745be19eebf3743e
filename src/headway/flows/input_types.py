"""Kestra's 18 input types and their validators, each a model in a union tagged by ``type``.

An input turns a given value (text from the CLI, JSON from the API) into a typed Python value
with :meth:`InputBase.parse`, which also applies the input's validators.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any, ClassVar, Literal, TypeVar, Union, cast

from pydantic import (
    AliasChoices,
    BeforeValidator,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from headway.durations import format_duration
from headway.flows.tasks import Model
from headway.flows.values import (
    CONVERTERS,
    InputValueError,
    show,
    to_array,
    to_date,
    to_datetime,
    to_duration,
    to_list,
    to_string,
    to_time,
)

B = TypeVar("B")

INPUT_ID_PATTERN = r"^[a-zA-Z0-9][.a-zA-Z0-9_-]*$"

# Kestra allows any type as an array's items except nested lists.
ItemType = Literal[
    "STRING", "INT", "FLOAT", "BOOLEAN", "BOOL", "DATETIME", "DATE", "TIME", "DURATION",
    "JSON", "YAML", "URI", "EMAIL", "SECRET", "FILE", "ENUM", "SELECT",
]  # fmt: skip


def _as(convert: Callable[[Any], Any]) -> BeforeValidator:
    """Validate a validator's bound (``min``, ``after``...) with the input type's converter."""
    return BeforeValidator(lambda v: v if v is None else convert(v))


class DependsOn(Model):
    """Inputs shown only once others are set, and only while ``condition`` holds."""

    inputs: list[str] = Field(default_factory=list)
    condition: str | None = None


class ValueOption(Model):
    """A SELECT value shown with another label."""

    label: str
    value: str


class InputBase(Model):
    """The keys every input has."""

    # Kestra's name of the type; the union is tagged by ``type``.
    kind: ClassVar[str] = ""

    id: str = Field(pattern=INPUT_ID_PATTERN)
    type: str
    description: str | None = None
    display_name: str | None = None
    required: bool = True
    defaults: Any = None
    prefill: Any = None
    depends_on: DependsOn | None = None

    @model_validator(mode="before")
    @classmethod
    def _legacy_name(cls, data: Any) -> Any:
        """Kestra's inputs were once named by ``name``; it still works when ``id`` is absent."""
        if isinstance(data, dict) and "name" in data:
            data = dict(data)
            name = data.pop("name")
            data.setdefault("id", name)
        return data

    @model_validator(mode="after")
    def _defaults_or_prefill(self) -> InputBase:
        if self.defaults is not None and self.prefill is not None:
            raise ValueError("'defaults' and 'prefill' cannot both be set")
        return self

    def convert(self, value: Any) -> Any:
        """The typed value of ``value``; raise :class:`InputValueError`."""
        return CONVERTERS[self.kind](value)

    def check(self, value: Any) -> None:
        """Apply the validators to a typed value; raise :class:`InputValueError`."""

    def parse(self, value: Any) -> Any:
        typed = self.convert(value)
        self.check(typed)
        return typed

    def default_value(self) -> Any:
        return self.defaults


def _check_bounds(low: Any, high: Any, value: Any, low_name: str, high_name: str) -> None:
    if low is not None and value < low:
        raise InputValueError(f"must be {low_name} {show(low)}, got {show(value)}")
    if high is not None and value > high:
        raise InputValueError(f"must be {high_name} {show(high)}, got {show(value)}")


def _ordered(value: B, info: ValidationInfo, low_key: str, what: str) -> B:
    """Reject an upper bound below the lower one (``max`` < ``min``, ``before`` < ``after``)."""
    low, high = info.data.get(low_key), cast(Any, value)
    if high is not None and low is not None and high < low:
        word = "earlier than" if low_key == "after" else "less than"
        raise ValueError(f"{what} {show(value)} is {word} {low_key} {show(low)}")
    return value


class _Pattern(InputBase):
    validator: str | None = None

    @field_validator("validator")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"invalid regular expression {value!r}: {exc}") from None
        return value

    def check(self, value: Any) -> None:
        if self.validator is not None and re.fullmatch(self.validator, value) is None:
            got = "" if self.kind == "SECRET" else f", got {show(value)}"
            raise InputValueError(f"must match the pattern {self.validator}{got}")


class StringInput(_Pattern):
    kind: ClassVar[str] = "STRING"
    type: Literal["STRING"]


class SecretInput(_Pattern):
    kind: ClassVar[str] = "SECRET"
    type: Literal["SECRET"]


class IntInput(InputBase):
    kind: ClassVar[str] = "INT"
    type: Literal["INT"]
    min: int | None = None
    max: int | None = None

    @field_validator("max")
    @classmethod
    def _max_over_min(cls, value: int | None, info: ValidationInfo) -> int | None:
        return _ordered(value, info, "min", "max")

    def check(self, value: Any) -> None:
        _check_bounds(self.min, self.max, value, ">=", "<=")


class FloatInput(InputBase):
    kind: ClassVar[str] = "FLOAT"
    type: Literal["FLOAT"]
    min: float | None = None
    max: float | None = None

    @field_validator("max")
    @classmethod
    def _max_over_min(cls, value: float | None, info: ValidationInfo) -> float | None:
        return _ordered(value, info, "min", "max")

    def check(self, value: Any) -> None:
        _check_bounds(self.min, self.max, value, ">=", "<=")


class BooleanInput(InputBase):
    kind: ClassVar[str] = "BOOLEAN"
    type: Literal["BOOLEAN", "BOOL"]


class DateTimeInput(InputBase):
    kind: ClassVar[str] = "DATETIME"
    type: Literal["DATETIME"]
    after: Annotated[datetime | None, _as(to_datetime)] = None
    before: Annotated[datetime | None, _as(to_datetime)] = None

    @field_validator("before")
    @classmethod
    def _before_after(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        return _ordered(value, info, "after", "before")

    def check(self, value: Any) -> None:
        _check_bounds(self.after, self.before, value, "after", "before")


class DateInput(InputBase):
    kind: ClassVar[str] = "DATE"
    type: Literal["DATE"]
    after: Annotated[date | None, _as(to_date)] = None
    before: Annotated[date | None, _as(to_date)] = None

    @field_validator("before")
    @classmethod
    def _before_after(cls, value: date | None, info: ValidationInfo) -> date | None:
        return _ordered(value, info, "after", "before")

    def check(self, value: Any) -> None:
        _check_bounds(self.after, self.before, value, "after", "before")


class TimeInput(InputBase):
    kind: ClassVar[str] = "TIME"
    type: Literal["TIME"]
    after: Annotated[time | None, _as(to_time)] = None
    before: Annotated[time | None, _as(to_time)] = None

    @field_validator("before")
    @classmethod
    def _before_after(cls, value: time | None, info: ValidationInfo) -> time | None:
        return _ordered(value, info, "after", "before")

    def check(self, value: Any) -> None:
        _check_bounds(self.after, self.before, value, "after", "before")


class DurationInput(InputBase):
    kind: ClassVar[str] = "DURATION"
    type: Literal["DURATION"]
    min: Annotated[timedelta | None, _as(to_duration)] = None
    max: Annotated[timedelta | None, _as(to_duration)] = None

    @field_validator("max")
    @classmethod
    def _max_over_min(cls, value: timedelta | None, info: ValidationInfo) -> timedelta | None:
        return _ordered(value, info, "min", "max")

    def check(self, value: Any) -> None:
        if self.min is not None and value < self.min:
            raise InputValueError(
                f"must be at least {format_duration(self.min)}, got {format_duration(value)}"
            )
        if self.max is not None and value > self.max:
            raise InputValueError(
                f"must be at most {format_duration(self.max)}, got {format_duration(value)}"
            )


class JsonInput(InputBase):
    kind: ClassVar[str] = "JSON"
    type: Literal["JSON"]


class YamlInput(InputBase):
    kind: ClassVar[str] = "YAML"
    type: Literal["YAML"]


class UriInput(InputBase):
    kind: ClassVar[str] = "URI"
    type: Literal["URI"]


class EmailInput(InputBase):
    kind: ClassVar[str] = "EMAIL"
    type: Literal["EMAIL"]


class FileInput(InputBase):
    kind: ClassVar[str] = "FILE"
    type: Literal["FILE"]
    accepted_extensions: list[str] | None = None
    extension: str | None = None  # deprecated by Kestra, kept so old flows load

    @field_validator("accepted_extensions")
    @classmethod
    def _dotted(cls, value: list[str] | None) -> list[str] | None:
        for ext in value or []:
            if not ext.startswith("."):
                raise ValueError(f"an extension starts with a dot (e.g. '.csv'), got {ext!r}")
        return [ext.lower() for ext in value] if value is not None else None

    def check(self, value: Any) -> None:
        if not self.accepted_extensions:
            return
        name = str(value).rsplit("/", 1)[-1].lower()
        if not any(name.endswith(ext) for ext in self.accepted_extensions):
            allowed = ", ".join(self.accepted_extensions)
            raise InputValueError(f"must be a file ending with {allowed}, got {show(value)}")


class ArrayInput(InputBase):
    kind: ClassVar[str] = "ARRAY"
    type: Literal["ARRAY"]
    item_type: ItemType

    def convert(self, value: Any) -> Any:
        return to_array(value, self.item_type)


def _one_of(value: str, values: Sequence[str]) -> InputValueError:
    listed = ", ".join(repr(v) for v in values)
    return InputValueError(f"must be one of {listed}, got {show(value)}")


class SelectInput(InputBase):
    kind: ClassVar[str] = "SELECT"
    type: Literal["SELECT"]
    values: list[str | ValueOption] | None = None
    expression: str | None = None
    allow_custom_value: bool = Field(
        False, validation_alias=AliasChoices("allowCustomValue", "allowInput")
    )
    is_radio: bool = False
    auto_select_first: bool = False

    @model_validator(mode="after")
    def _has_values(self) -> SelectInput:
        if self.values is None and self.expression is None:
            raise ValueError("a SELECT input needs 'values' or 'expression'")
        return self

    def value_list(self) -> list[str] | None:
        if self.values is None:
            return None
        return [v.value if isinstance(v, ValueOption) else v for v in self.values]

    def check(self, value: Any) -> None:
        values = self.value_list()
        if values is not None and not self.allow_custom_value and value not in values:
            raise _one_of(value, values)

    def default_value(self) -> Any:
        values = self.value_list()
        if self.defaults is None and self.auto_select_first and values:
            return values[0]
        return self.defaults


class MultiselectInput(InputBase):
    kind: ClassVar[str] = "MULTISELECT"
    type: Literal["MULTISELECT"]
    values: list[str] | None = None
    options: list[str] | None = None
    expression: str | None = None
    item_type: ItemType = "STRING"
    allow_custom_value: bool = False
    auto_select_first: bool = False

    @model_validator(mode="after")
    def _has_values(self) -> MultiselectInput:
        if self.values is not None and self.options is not None:
            raise ValueError("a MULTISELECT input takes 'values' or 'options', not both")
        if self.values is None and self.options is None and self.expression is None:
            raise ValueError("a MULTISELECT input needs 'values' or 'expression'")
        return self

    def value_list(self) -> list[str] | None:
        return self.values if self.values is not None else self.options

    def convert(self, value: Any) -> Any:
        return [to_string(item) for item in to_list(value, "MULTISELECT")]

    def check(self, value: Any) -> None:
        values = self.value_list()
        if values is not None and not self.allow_custom_value:
            for item in value:
                if item not in values:
                    raise _one_of(item, values)

    def parse(self, value: Any) -> Any:
        items = super().parse(value)
        return to_array(items, self.item_type) if self.item_type != "STRING" else items

    def default_value(self) -> Any:
        values = self.value_list()
        if self.defaults is None and self.auto_select_first and values:
            return [values[0]]
        return self.defaults


class EnumInput(InputBase):
    """Kestra's legacy closed list (SELECT replaces it)."""

    kind: ClassVar[str] = "ENUM"
    type: Literal["ENUM"]
    values: list[str]

    def check(self, value: Any) -> None:
        if value not in self.values:
            raise _one_of(value, self.values)


INPUT_TYPES: tuple[type[InputBase], ...] = (
    StringInput, IntInput, FloatInput, BooleanInput, DateTimeInput, DateInput, TimeInput,
    DurationInput, JsonInput, YamlInput, UriInput, EmailInput, FileInput, SecretInput,
    ArrayInput, SelectInput, MultiselectInput, EnumInput,
)  # fmt: skip

# One input of a flow, validated with the model of its ``type``.
Input = Annotated[
    Union[  # noqa: UP007
        StringInput, IntInput, FloatInput, BooleanInput, DateTimeInput, DateInput, TimeInput,
        DurationInput, JsonInput, YamlInput, UriInput, EmailInput, FileInput, SecretInput,
        ArrayInput, SelectInput, MultiselectInput, EnumInput,
    ],
    Field(discriminator="type"),
]  # fmt: skip

INPUT_TYPE_NAMES: tuple[str, ...] = (*(cls.kind for cls in INPUT_TYPES), "BOOL")

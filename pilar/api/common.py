"""What every app's API module needs: who is acting, the role check, and the bounded types of
query parameters and request bodies (docs/INPUT.md, "## API").

The bounds come from `pilar.lib.params`, the one input layer pages and commands use too; here
they are pydantic constraints, so django-ninja both enforces them (a 422 naming the field) and
publishes them in the OpenAPI document (`minimum`, `maximum`, `maxLength`, `pattern`).
"""

import datetime
import re
import types
import typing
from typing import Annotated, Any, ClassVar

from annotated_types import Ge, Le, MaxLen
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db import models
from django.utils.translation import gettext as _
from ninja import Field, Schema
from pydantic import (
    AfterValidator,
    BeforeValidator,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)

from pilar.accounts.access import Capability, can
from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor
from pilar.lib import params
from pilar.lib.months import month_start

# --- query parameters and ids --------------------------------------------------------------

# An id: a larger number names no row, and the database would fail on it.
Id = Annotated[int, Field(ge=0, le=params.MAX_ID)]
Offset = Annotated[int, Field(ge=0, le=params.MAX_OFFSET)]
Limit = Annotated[int, Field(ge=1, le=params.MAX_LIMIT)]
Year = Annotated[int, Field(ge=params.MIN_YEAR, le=params.MAX_YEAR)]
# A whole number stored in an ordinary integer column (quantities, amounts, counts).
MAX_INT = 2**31 - 1
Int = Annotated[int, Field(ge=-MAX_INT, le=MAX_INT)]

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# The bounds as patterns too, for the OpenAPI document (JSON Schema has no date range).
_MONTH_DAY = r"-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
DAY_PATTERN = r"^(20[0-9]{2}|2100)" + _MONTH_DAY
BIRTH_DAY_PATTERN = r"^(19[0-9]{2}|20[0-9]{2}|2100)" + _MONTH_DAY
MONTH_PATTERN = r"^(20[0-9]{2}|2100)-(0[1-9]|1[0-2])$"
_MONTH = re.compile(r"^\d{4}-\d{2}(-\d{2})?$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Documented in the OpenAPI for every text of a body; enforced with a readable message below.
NO_CONTROL_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
# Numbers people write with digits: NIK and KK in ASCII 0–9 (look-alike digits such as '١٢٣'
# are refused), grouped with spaces, dots or dashes as on the card (the services take those
# out); a phone number may also hold + and ( ).
FIELD_PATTERNS = {
    "nik": r"^[0-9 .-]*$",
    "kk_number": r"^[0-9 .-]*$",
    "phone": r"^[0-9+() .-]*$",
}
# Written with separators, a 16-digit NIK or KK is longer than its column.
FIELD_LENGTHS = {"nik": 32, "kk_number": 32}
# A text in a body that no column bounds (a note, a reason): still not megabytes.
MAX_TEXT = 5000


def _iso_date(value: Any) -> Any:
    """Only YYYY-MM-DD: pydantic would also read numbers as Unix time and accept datetimes."""
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return value
    if isinstance(value, str) and _ISO_DATE.match(value):
        return value
    raise ValueError(_("Write the date as YYYY-MM-DD, e.g. 2024-10-22."))


def _between(low: datetime.date, high: datetime.date) -> str:
    return _("The date must lie between %(low)s and %(high)s.") % {
        "low": low.isoformat(),
        "high": high.isoformat(),
    }


def _date_in_range(value: datetime.date | None) -> datetime.date | None:
    if value is not None and not params.MIN_DATE <= value <= params.MAX_DATE:
        raise ValueError(_between(params.MIN_DATE, params.MAX_DATE))
    return value


def _birth_date_in_range(value: datetime.date | None) -> datetime.date | None:
    low = datetime.date(params.MIN_BIRTH_YEAR, 1, 1)
    if value is not None and not low <= value <= params.MAX_DATE:
        raise ValueError(_between(low, params.MAX_DATE))
    return value


def _month(value: Any) -> Any:
    """YYYY-MM (or a day of the month, YYYY-MM-DD) → the month's first day."""
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return month_start(value)
    if isinstance(value, str) and _MONTH.match(value):
        year, month = int(value[:4]), int(value[5:7])
        if params.MIN_YEAR <= year <= params.MAX_YEAR and 1 <= month <= 12:
            return datetime.date(year, month, 1)
    raise ValueError(
        _("Write the month as YYYY-MM between %(low)s-01 and %(high)s-12, e.g. 2024-07.")
        % {"low": params.MIN_YEAR, "high": params.MAX_YEAR}
    )


# A day in the office's years, written YYYY-MM-DD.
Day = Annotated[
    datetime.date,
    BeforeValidator(_iso_date),
    AfterValidator(_date_in_range),
    Field(
        json_schema_extra={
            "pattern": DAY_PATTERN,
            "x-minimum": params.MIN_DATE.isoformat(),
            "x-maximum": params.MAX_DATE.isoformat(),
        }
    ),
]
# A birth date reaches further back.
BirthDay = Annotated[
    datetime.date,
    BeforeValidator(_iso_date),
    AfterValidator(_birth_date_in_range),
    Field(
        json_schema_extra={
            "pattern": BIRTH_DAY_PATTERN,
            "x-minimum": f"{params.MIN_BIRTH_YEAR}-01-01",
            "x-maximum": params.MAX_DATE.isoformat(),
        }
    ),
]
# A month: YYYY-MM (a full date is read as its month), years MIN_YEAR–MAX_YEAR.
Month = Annotated[
    datetime.date,
    BeforeValidator(_month),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": MONTH_PATTERN[:-1] + r"(-(0[1-9]|[12][0-9]|3[01]))?$",
            "x-minimum": f"{params.MIN_YEAR}-01",
            "x-maximum": f"{params.MAX_YEAR}-12",
        }
    ),
]
# A month kept as its text, YYYY-MM: the service parses it and answers a 400 with its own message
# (the pattern documents the format).
MonthText = Annotated[
    str,
    Field(
        max_length=40,
        json_schema_extra={
            "pattern": MONTH_PATTERN,
            "x-minimum": f"{params.MIN_YEAR}-01",
            "x-maximum": f"{params.MAX_YEAR}-12",
        },
    ),
]
# A search box.
Search = Annotated[str, Field(max_length=params.MAX_QUERY_LENGTH)]


def choice(choices: type[models.TextChoices]) -> Any:
    """A model's choices as an inline enum in the OpenAPI: many models have a nested `Status` or
    `Role`, and as components of the same name they would overwrite each other."""
    return Annotated[
        choices,
        WithJsonSchema({"type": "string", "enum": [str(value) for value in choices.values]}),
    ]


# --- request bodies ------------------------------------------------------------------------


def _annotation_parts(annotation: Any) -> tuple[Any, ...]:
    """`str | None` → (str, NoneType); `list[int]` → (list[int],)."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return typing.get_args(annotation)
    return (annotation,)


def _has_constraint(field, kind: type) -> bool:
    return any(isinstance(m, kind) for m in field.metadata)


def column_length(model: type[models.Model], name: str) -> int:
    """The max_length of a model's text column, for a body field stored under another name."""
    return model._meta.get_field(name).max_length


class Body(Schema):
    """Base of every request body. It bounds what a field does not bound itself:

    - text: at most the length of the column it is stored in (the first model of `columns`
      with a field of that name), else MAX_TEXT characters; no control characters;
    - whole numbers: within 64 bits for ids (`id`, `*_id`, `*_ids`), within an integer
      column otherwise;
    - dates: YYYY-MM-DD only.

    So a 2 MB name or an id beyond 64 bits is a 422 naming the field, never a database error,
    and the bounds are in the OpenAPI document.
    """

    columns: ClassVar[tuple[type[models.Model], ...]] = ()

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs):
        super().__pydantic_init_subclass__(**kwargs)
        changed = False
        for name, field in cls.model_fields.items():
            parts = _annotation_parts(field.annotation)
            if list[int] in parts or list[str] in parts:
                # A list's items get the bounds a single value would.
                is_ids = name.endswith("_ids")
                item = (Id if is_ids else Int) if list[int] in parts else cls._text(name)
                field.annotation = list[item] | None if type(None) in parts else list[item]
                if not _has_constraint(field, MaxLen):
                    field.metadata.append(MaxLen(params.MAX_IDS))
                changed = True
                continue
            if datetime.date in parts:
                day = BirthDay if "birth" in name else Day
                field.annotation = day | None if type(None) in parts else day
                changed = True
                continue
            if str in parts and not _has_constraint(field, MaxLen):
                field.metadata.append(MaxLen(cls._column_length(name)))
                extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
                pattern = FIELD_PATTERNS.get(name, NO_CONTROL_PATTERN)
                field.json_schema_extra = {"pattern": pattern, **extra}
                changed = True
            if int in parts:
                is_id = name == "id" or name.endswith("_id")
                if not _has_constraint(field, Ge):
                    field.metadata.append(Ge(0 if is_id else -MAX_INT))
                    changed = True
                if not _has_constraint(field, Le):
                    field.metadata.append(Le(params.MAX_ID if is_id else MAX_INT))
                    changed = True
        if changed:
            cls.model_rebuild(force=True)

    @classmethod
    def _text(cls, name: str) -> Any:
        return Annotated[
            str, Field(max_length=cls._column_length(name), pattern=NO_CONTROL_PATTERN)
        ]

    @classmethod
    def _column_length(cls, name: str) -> int:
        if name in FIELD_LENGTHS:
            return FIELD_LENGTHS[name]
        for model in cls.columns:
            try:
                column = model._meta.get_field(name)
            except FieldDoesNotExist:
                continue
            if getattr(column, "max_length", None):
                return column.max_length
        return MAX_TEXT

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value: Any, info: ValidationInfo) -> Any:
        texts = value if isinstance(value, list) else [value]
        if any(isinstance(t, str) and _CONTROL.search(t) for t in texts):
            raise ValueError(_("This holds invisible control characters; type it again."))
        pattern = FIELD_PATTERNS.get(info.field_name)
        if pattern and isinstance(value, str) and not re.match(pattern, value):
            raise ValueError(_("Write it with the digits 0–9 only."))
        return value


class ErrorOut(Schema):
    """Every error the API answers: a message a person can act on, and the fields at fault."""

    message: str = Field(description="What went wrong and how to fix it, in the user's language.")
    errors: dict[str, list[str]] = Field(
        default={},
        description="For 400 and 422: each field at fault (dotted path in the body, or the "
        "parameter's name) with its messages; `__all__` for the request as a whole.",
    )


def refusal(exc: ValidationError) -> dict:
    """The ErrorOut body of a service's refusal, answered with status 400 (the pages answer the
    same refusal with 400 too: pilar.lib.views): every message with its field, `__all__` for
    those about the request as a whole."""
    errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    message = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in errors.items())
    return {"message": message, "errors": errors}


def api_actor(request) -> Actor:
    """The caller, for the audit log, marked as coming through the API."""
    return Actor.from_request(request, source=AuditEntry.Source.API)


def require(request, capability: Capability) -> None:
    """403 unless the caller's roles grant `capability` (scope is the querysets' business)."""
    if not can(request.user, capability):
        raise PermissionDenied

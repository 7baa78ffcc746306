import datetime as dt
import re
from typing import Annotated, Any

from django.utils.translation import gettext
from ninja import Field, Schema
from pydantic import AfterValidator, BeforeValidator, model_validator
from pydantic_core import PydanticCustomError

from shiji.core.validation import MAX_ID

# A record id from a client. The bounds keep numbers no database column can
# hold out of queries (they would crash the driver: a 500 instead of a 422);
# the bound itself passes the schema and then, like any unknown id, is not found.
Id = Annotated[int, Field(ge=1, le=MAX_ID)]

# PostgreSQL refuses NUL in text (SQLite stores it), so it is refused at the
# door on every database; the pattern tells clients (and the fuzzer) the same.
NO_NUL = r"^[^\x00]*$"
SOME_TEXT = r"^[^\x00]*[^\x00\s][^\x00]*$"


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise PydanticCustomError("nul_character", gettext("不能包含空字符（\\x00）"))
    return value


Text = Annotated[str, AfterValidator(_no_nul), Field(json_schema_extra={"pattern": NO_NUL})]
# Required prose: the services strip it and refuse blanks with their own message.
SomeText = Annotated[
    str, AfterValidator(_no_nul), Field(min_length=1, json_schema_extra={"pattern": SOME_TEXT})
]


class FieldError(Schema):
    field: str
    message: str


class ErrorOut(Schema):
    detail: str
    code: str
    errors: list[FieldError] | None = None


# Responses every authenticated operation can give (declared so the OpenAPI
# document is true: django-ninja does not list its automatic ones; 400 is its
# answer to a body that is not JSON).
COMMON_ERRORS = {400: ErrorOut, 401: ErrorOut, 422: ErrorOut}


def _iso_date(value: object) -> object:
    # Pydantic's lax mode reads a number, or a string of digits, as a Unix
    # timestamp: "?to=0" would silently mean 1970-01-01. A date in this API is
    # what its schema says, an ISO string YYYY-MM-DD, or a 422.
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        return value
    raise PydanticCustomError("date_format", gettext("日期格式应为 YYYY-MM-DD（如 2026-03-31）"))


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

# A date a client sends (a field or a query parameter).
Day = Annotated[dt.date, BeforeValidator(_iso_date)]


class In(Schema):
    """A JSON object a client sends. django-ninja's Schema reads any value's
    attributes (it is made to serialise model instances), so a body of `5` or
    `[]` became a patch with no fields and was accepted; an input must be an
    object, or it is a 422 like any other wrong type."""

    @model_validator(mode="wrap")
    @classmethod
    def _object_only(cls, values: Any, handler: Any, info: Any) -> Any:
        if not isinstance(values, dict | cls):
            raise PydanticCustomError("model_type", gettext("应为对象"))
        return handler(values)

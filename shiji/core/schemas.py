from typing import Annotated

from ninja import Field, Schema
from pydantic import AfterValidator
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
        raise PydanticCustomError("nul_character", "不能包含空字符（\\x00）")
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

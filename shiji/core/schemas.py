from typing import Annotated

from ninja import Field, Schema

# A record id from a client. The bounds keep numbers no database column can
# hold out of queries (they would crash the driver: a 500 instead of a 422).
Id = Annotated[int, Field(ge=1, le=2**62)]


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

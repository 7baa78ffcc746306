from ninja import Schema


class ErrorOut(Schema):
    detail: str
    code: str
    errors: list[dict] | None = None


# Responses every authenticated operation can give (declared so the OpenAPI
# document is true: django-ninja does not list its automatic ones).
COMMON_ERRORS = {401: ErrorOut, 422: ErrorOut}

"""Shared API building blocks: the caller, error bodies, safe query strings, the one pagination.

A leaf module (it imports no app): each app's ``api.py`` uses it; ``api`` assembles the routers.
"""

from typing import Annotated, Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja import Field, Schema
from ninja.errors import HttpError
from ninja.errors import ValidationError as ApiValidationError
from ninja.pagination import LimitOffsetPagination
from pydantic import AfterValidator, StringConstraints

from jiuye.lib.text import join_list

MAX_LIMIT = 500
DEFAULT_LIMIT = 100
# Far beyond any real table, and within a signed 64-bit integer on every database.
MAX_OFFSET = 2**31 - 1
MAX_ID = 2**63 - 1


def caller(request: HttpRequest) -> Any:
    """The authenticated user of an API request (every operation requires one)."""
    return getattr(request, "auth", None)


class ErrorOut(Schema):
    detail: str


class ValidationErrorOut(Schema):
    detail: list[dict[str, Any]]


# The error responses each kind of operation documents (every one needs authentication).
AUTH_ERRORS: dict[int, type[Schema]] = {401: ErrorOut}
LIST_ERRORS: dict[int, type[Schema]] = {401: ErrorOut, 422: ValidationErrorOut}
DETAIL_ERRORS: dict[int, type[Schema]] = {401: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut}
# A write also answers 400 for a body that is not JSON, and 403 for what is not the caller's.
WRITE_ERRORS: dict[int, type[Schema]] = {**DETAIL_ERRORS, 400: ErrorOut, 403: ErrorOut}


def refused(error: Exception) -> Exception:
    """A service's refusal as a write's answer: 403 for what is not the caller's
    (``PermissionDenied``); 422 in the shape of any other invalid input, with the service's
    reason (a ``ValidationError``'s messages) as the message."""
    if isinstance(error, PermissionDenied):
        return HttpError(403, str(error) or "not allowed")
    text = join_list(getattr(error, "messages", [str(error)]), clauses=True)
    return ApiValidationError([{"type": "refused", "loc": ["body"], "msg": text}])


def invalid(field: str, message: str) -> Exception:
    """422 for one field of the body, in the shape of any other invalid input."""
    return ApiValidationError([{"type": "value_error", "loc": ["body", field], "msg": message}])


def _no_nul(value: str) -> str:
    # PostgreSQL refuses NUL in text; refuse it here as a validation error, not a 500.
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


# A unit code as it appears in a path or filter.
Code = Annotated[str, StringConstraints(min_length=1, max_length=20), AfterValidator(_no_nul)]
# A free-text search term.
Search = Annotated[str, StringConstraints(max_length=60), AfterValidator(_no_nul)]


class PageInput(Schema):
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="at most 500")
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


class Pagination(LimitOffsetPagination):
    """limit/offset paging; ``limit`` at most 500."""

    Input = PageInput  # type: ignore[assignment]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_limit=MAX_LIMIT, **kwargs)

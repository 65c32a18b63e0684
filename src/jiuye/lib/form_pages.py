"""A data-entry page: its form, the keyboard in the first field, and never kept in a cache."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def form_page(
    request: HttpRequest, template: str, form: forms.Form, context: dict[str, Any]
) -> HttpResponse:
    """Render ``template`` with ``form``. An unbound form gets the keyboard in its first field;
    the response is ``no-store``: a re-shown form holds what the user typed (an ID number,
    say), which must not stay in any cache."""
    if not form.is_bound:
        next(iter(form.fields.values())).widget.attrs.setdefault("autofocus", True)
    response = render(request, template, {"form": form, **context})
    response["Cache-Control"] = "no-store"
    return response

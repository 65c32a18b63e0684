"""Printable PDFs (a notice board, an acceptance report) from HTML templates with WeasyPrint.

The templates carry their own print CSS (``certification/_print.css.html``: A4, 15 mm margins,
Debian's Noto CJK fonts by family name through fontconfig), so nothing is fetched: the URL
fetcher refuses every URL but an inline ``data:`` one. A template that linked a stylesheet or
an image from a CDN (or anywhere) would render without it instead of reaching out from a
server that, on an intranet, has no internet to reach.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string


class FetchRefused(ValueError):
    """A PDF template asked for an external resource."""


def no_fetch(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """WeasyPrint's URL fetcher: inline ``data:`` URLs only."""
    if url.startswith("data:"):
        from weasyprint import default_url_fetcher

        return default_url_fetcher(url, *args, **kwargs)  # type: ignore[no-any-return]
    raise FetchRefused(f"PDF templates fetch nothing: {url[:80]}")


def html_to_pdf(html: str) -> bytes:
    # Imported here: WeasyPrint loads Pango and fontconfig, which only the PDF views need.
    from weasyprint import HTML

    document = HTML(string=html, base_url=str(settings.BASE_DIR), url_fetcher=no_fetch)
    pdf: bytes = document.write_pdf()
    return pdf


def render_pdf(template: str, context: Mapping[str, Any]) -> bytes:
    """The PDF of ``template`` rendered with ``context`` (no request: no user, no session)."""
    return html_to_pdf(render_to_string(template, dict(context)))

"""PDF rendering with WeasyPrint, fetching nothing from outside the document.

Templates are rendered by Jinja; stylesheets are read from app/static and given as strings;
the URL fetcher accepts only ``data:`` URLs, so a template (or a value put into it) cannot
make the server read a local file (``file:``) or call a remote host (SSRF).

WeasyPrint is imported when a PDF is made, not when the app is built: loading it loads Pango
and HarfBuzz, and a machine without them can still serve every page but the PDFs.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from flask import render_template

if TYPE_CHECKING:
    from weasyprint.urls import URLFetcher

STATIC = Path(__file__).parent / "static"
ALLOWED_PROTOCOLS = ("data",)


def url_fetcher() -> URLFetcher:
    """A fetcher that refuses every protocol but ``data:``."""
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols=ALLOWED_PROTOCOLS, timeout=1)


@cache
def _stylesheet(name: str) -> str:
    return (STATIC / name).read_text(encoding="utf-8")


def html_to_pdf(html: str, stylesheet: str = "pdf.css") -> bytes:
    """Turn rendered HTML into PDF bytes with the platform's print stylesheet."""
    from weasyprint import CSS, HTML

    fetcher = url_fetcher()
    document = HTML(string=html, base_url=None, url_fetcher=fetcher)
    return document.write_pdf(stylesheets=[CSS(string=_stylesheet(stylesheet), url_fetcher=fetcher)])


def render_pdf(template: str, **context) -> bytes:
    """Render a Jinja template of portal_templates/pdf/ to PDF bytes."""
    return html_to_pdf(render_template(template, **context))

"""WeasyPrint rendering: sandboxed templates, plain data in, no file:// or network access out.

Templates live in templates/pdf/ and receive only plain data (schema dumps, dicts); images come in as
``data:`` URIs (see ``data_uri``), so the URL fetcher can refuse everything else.
"""
from __future__ import annotations

import base64
import logging

from flask import render_template

log = logging.getLogger(__name__)


class RefusedURL(ValueError):
    pass


def _data_only_fetcher():
    """A WeasyPrint URL fetcher that loads inline ``data:`` URIs and refuses everything else: no
    file://, no foreign hosts, no internal network."""
    from weasyprint.urls import URLFetcher

    class DataOnlyFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if not url.startswith("data:"):
                log.warning("PDF rendering refused to fetch %s", url[:200])
                raise RefusedURL(f"refused to fetch {url[:100]}")
            return super().fetch(url, headers)

    return DataOnlyFetcher(allowed_protocols=("data",))


def data_uri(data: bytes, content_type: str) -> str:
    return f"data:{content_type};base64,{base64.b64encode(data).decode()}"


def render_html(template: str, **context) -> str:
    return render_template(f"pdf/{template}", **context)


def html_to_pdf(html: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=html, base_url="about:blank", url_fetcher=_data_only_fetcher()).write_pdf()


def render_pdf(template: str, **context) -> bytes:
    """Render ``templates/pdf/<template>`` with plain-data ``context`` to PDF bytes."""
    return html_to_pdf(render_html(template, **context))

"""Documents as PDF: a template rendered in Chinese and printed by WeasyPrint, whose fonts are
Debian's Noto CJK (fonts-noto-cjk)."""

from django.template.loader import render_to_string
from django.utils import translation


def render_pdf(template: str, context: dict, *, language: str = "zh-hans") -> bytes:
    """The template as a PDF, in ``language`` whatever the reader's: the documents a school
    or a bureau hands over or posts are in Chinese."""
    # Imported here: WeasyPrint loads Pango through cffi, which nothing else needs, and the
    # rest of the app (migrations, Celery workers) stays importable without those libraries.
    from weasyprint import HTML

    with translation.override(language):
        html = render_to_string(template, context)
    return HTML(string=html).write_pdf()

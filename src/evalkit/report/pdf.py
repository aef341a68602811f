"""Print a report's HTML to an A4 PDF with WeasyPrint (pip wheels and the system's Pango).

The page size, margins, running footer ("Side 3 av 16"), the contents'
page numbers (``target-counter``) and the page-break rules are in the
report's print CSS (``templates/report.css`` and ``report.html.j2``);
WeasyPrint lays the pages out in one pass. It loads nothing: a report embeds
its pictures as ``data:`` URIs, and every other address is refused.

WeasyPrint needs Pango (>= 1.44) from the operating system; on Debian and
Ubuntu ``libpango-1.0-0`` and ``libpangoft2-1.0-0``, which a Debian machine
with Python usually has already (``make report`` installs them when it can).
"""

from __future__ import annotations

import logging
from pathlib import Path

from evalkit.errors import InputError, RenderError

#: Debian packages with the libraries WeasyPrint loads.
SYSTEM_PACKAGES = ("libpango-1.0-0", "libpangoft2-1.0-0")
_HINT = (f"On Debian/Ubuntu: apt-get install {' '.join(SYSTEM_PACKAGES)} (Pango >= 1.44); "
         "or render without --pdf to get the HTML report only.")


def _weasyprint():
    try:
        import weasyprint
    except ImportError as exc:  # not installed with evalkit
        raise InputError(f"PDF output needs WeasyPrint, which cannot be imported ({exc}).", parameter="pdf",
                         hint="pip install weasyprint (it is one of evalkit's dependencies); " + _HINT) from None
    except OSError as exc:  # installed, but the system's Pango is missing
        raise InputError(f"PDF output needs the system library Pango, which cannot be loaded ({_first_line(exc)}).",
                         parameter="pdf", hint=_HINT) from None
    return weasyprint


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0][:200]


def check_pdf_support() -> None:
    """Make sure a PDF can be printed (WeasyPrint and Pango load); checked before a kernel starts.

    Raises
    ------
    InputError
        Naming the parameter ``pdf`` and the packages to install.
    """
    _weasyprint()


def html_to_pdf(html: str, pdf_path: str | Path) -> Path:
    """Print the HTML page ``html`` to ``pdf_path`` (A4, from the page's own ``@page`` CSS).

    Parameters
    ----------
    html
        A self-contained HTML page (pictures embedded as ``data:`` URIs).
    pdf_path
        The PDF to write (replaced if it exists).

    Returns
    -------
    Path
        ``pdf_path``.

    Raises
    ------
    InputError
        If WeasyPrint or Pango cannot be loaded.
    RenderError
        If the page cannot be printed.
    """
    weasyprint = _weasyprint()
    from weasyprint.urls import URLFetcher

    target = Path(pdf_path)
    # WeasyPrint logs every CSS property it does not know at WARNING; a render prints nothing but its result.
    logger = logging.getLogger("weasyprint")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        document = weasyprint.HTML(string=html, url_fetcher=URLFetcher(allowed_protocols={"data"}),
                                   media_type="print")
        document.write_pdf(target)
    except (ValueError, OSError) as exc:
        raise RenderError(f"{target.name}: the report could not be printed to PDF ({_first_line(exc)}).") from None
    finally:
        logger.setLevel(level)
    return target

"""Print a report's HTML to an A4 PDF with headless Chromium (the system's, never a download).

The page size, margins, page numbers and page-break rules are in the
report's print CSS (``templates/report.css``, ``@page``); Chromium only
prints. Debian's ``chromium`` package is used (``apt-get install chromium``);
no browser is fetched at install or run time.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from evalkit.errors import RenderError

#: Where to look for Chromium, in order; ``EVALKIT_CHROMIUM`` overrides.
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
#: Seconds a print may take before it is stopped.
DEFAULT_TIMEOUT = 120.0

# A quiet, offline, throw-away browser: no network services, no profile reuse, no GPU.
_FLAGS = (
    "--headless",
    "--no-sandbox",  # containers run as root, where Chromium's sandbox cannot start
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-dev-shm-usage",  # small /dev/shm in containers
    "--no-pdf-header-footer",  # page numbers come from the CSS, not from Chromium's header/footer
)


def find_chromium() -> Path | None:
    """The Chromium executable, or ``None`` if there is none."""
    override = os.environ.get("EVALKIT_CHROMIUM")
    if override:
        return Path(override) if Path(override).is_file() else None
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return Path(found)
    return None


def html_to_pdf(html_path: str | Path, pdf_path: str | Path, *, timeout: float = DEFAULT_TIMEOUT) -> Path:
    """Print ``html_path`` to ``pdf_path`` (A4, from the page's own ``@page`` CSS).

    Parameters
    ----------
    html_path
        A self-contained HTML file (images embedded).
    pdf_path
        The PDF to write (replaced if it exists).
    timeout
        Seconds before the browser is stopped and :class:`RenderError` raised.

    Returns
    -------
    Path
        ``pdf_path``.

    Raises
    ------
    RenderError
        If Chromium is missing, fails, times out or writes no PDF.
    """
    browser = find_chromium()
    if browser is None:
        raise RenderError(
            "PDF output needs Chromium, which is not installed. On Debian/Ubuntu: "
            "apt-get install chromium (or set EVALKIT_CHROMIUM to a Chromium executable); "
            "render without --pdf to get the HTML report only."
        )
    source = Path(html_path).absolute()
    target = Path(pdf_path).absolute()
    if not source.is_file():
        raise RenderError(f"{source}: the HTML report to print does not exist.")
    target.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="evalkit-chromium-") as profile:
        command = [
            str(browser),
            *_FLAGS,
            f"--user-data-dir={profile}",
            f"--print-to-pdf={target}",
            source.as_uri(),
        ]
        # Own process group, so a timeout stops Chromium's helper processes too.
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
            env=os.environ | {"HOME": profile},
        )
        try:
            _, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise RenderError(f"Chromium did not print {source.name} within {timeout:.0f} s.") from None
    if process.returncode != 0 or not target.is_file() or target.stat().st_size == 0:
        detail = _last_error(stderr.decode("utf-8", "replace"))
        raise RenderError(f"Chromium could not print {source.name} to PDF (exit {process.returncode}): {detail}")
    return target


def _last_error(stderr: str) -> str:
    # Chromium logs harmless D-Bus complaints in containers; show the last line that is not one.
    lines = [line for line in stderr.splitlines() if line.strip() and "dbus" not in line.lower()]
    return lines[-1] if lines else "no message"

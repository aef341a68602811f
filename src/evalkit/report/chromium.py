"""Print a report's HTML to an A4 PDF with headless Chromium (the old path, kept only for bench_pdf.py; to be removed).

The page size, margins, page numbers and page-break rules are in the
report's print CSS (``templates/report.css``, ``@page``); Chromium only
prints. Debian's ``chromium`` package is used (``apt-get install chromium``);
no browser is fetched at install or run time.

One :class:`Chromium` session can print several pages (the report prints
twice: a first print finds the pages of the headings for the table of
contents). It talks to the browser over the DevTools protocol on a pipe
(``--remote-debugging-pipe``: no network port is opened), so the browser
starts once.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from evalkit.errors import RenderError

#: Where to look for Chromium, in order; ``EVALKIT_CHROMIUM`` overrides.
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
#: Seconds the browser may take to start, or to load and print one page.
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
    "--remote-debugging-pipe",  # DevTools on file descriptors 3 (commands) and 4 (replies)
)
# Page size and margins come from the report's @page rule; Chromium's own header/footer is off.
_PRINT = {"preferCSSPageSize": True, "printBackground": True, "displayHeaderFooter": False}


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


def _missing() -> RenderError:
    return RenderError(
        "PDF output needs Chromium, which is not installed. On Debian/Ubuntu: "
        "apt-get install chromium (or set EVALKIT_CHROMIUM to a Chromium executable); "
        "render without --pdf to get the HTML report only."
    )


class Chromium:
    """A headless Chromium that prints HTML files to PDF; use it in a ``with`` block.

    Parameters
    ----------
    timeout
        Seconds for the browser to start, and for each page to load and print.

    Raises
    ------
    RenderError
        If Chromium is missing, does not start, fails or times out.
    """

    def __init__(self, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.timeout = timeout
        self._browser = find_chromium()
        if self._browser is None:
            raise _missing()
        self._process: subprocess.Popen[bytes] | None = None
        self._profile: tempfile.TemporaryDirectory[str] | None = None
        self._next_id = 0
        self._buffer = b""

    def __enter__(self) -> Chromium:
        self._profile = tempfile.TemporaryDirectory(prefix="evalkit-chromium-")
        commands_read, self._write = os.pipe()
        self._read, replies_write = os.pipe()
        # Chromium reads commands on fd 3 and writes replies on fd 4. The pipe ends are moved above
        # fd 10 first, so bash's "3<&r 4>&w" cannot overwrite one with the other (dash cannot
        # redirect fds above 9, hence bash).
        low = (commands_read, replies_write)
        commands_read, replies_write = (fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in low)
        for fd in low:
            os.close(fd)
        command = [str(self._browser), *_FLAGS, f"--user-data-dir={self._profile.name}", "about:blank"]
        wiring = f'exec "$0" "$@" 3<&{commands_read} 4>&{replies_write} {commands_read}<&- {replies_write}>&-'
        try:
            # Own process group, so stopping it stops Chromium's helper processes too.
            self._process = subprocess.Popen(
                [shutil.which("bash") or "/bin/bash", "-c", wiring, *command], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE, pass_fds=(commands_read, replies_write), start_new_session=True,
                env=os.environ | {"HOME": self._profile.name},
            )
        finally:
            os.close(commands_read)
            os.close(replies_write)
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Stop the browser and remove its throw-away profile."""
        if self._process is not None:
            try:
                self._call("Browser.close", timeout=5)
                self._process.wait(timeout=5)
            except (RenderError, subprocess.TimeoutExpired, OSError):
                pass
            if self._process.poll() is None:
                os.killpg(self._process.pid, signal.SIGKILL)
                self._process.wait()
            if self._process.stderr is not None:
                self._process.stderr.close()
            for fd in (self._read, self._write):
                try:
                    os.close(fd)
                except OSError:
                    pass
            self._process = None
        if self._profile is not None:
            self._profile.cleanup()
            self._profile = None

    def print_pdf(self, html_path: str | Path, pdf_path: str | Path) -> Path:
        """Load ``html_path`` in a fresh tab and print it to ``pdf_path``; return ``pdf_path``."""
        source = Path(html_path).absolute()
        target = Path(pdf_path).absolute()
        if not source.is_file():
            raise RenderError(f"{source}: the HTML report to print does not exist.")
        target_id = self._call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self._call("Target.attachToTarget", {"targetId": target_id, "flatten": True})["sessionId"]
        try:
            self._call("Page.enable", session=session)
            self._call("Page.navigate", {"url": source.as_uri()}, session=session)
            self._wait_for_event("Page.loadEventFired", session)
            data = self._call("Page.printToPDF", _PRINT, session=session)["data"]
        finally:
            self._call("Target.closeTarget", {"targetId": target_id})
        pdf = base64.b64decode(data)
        if not pdf.startswith(b"%PDF"):
            raise RenderError(f"Chromium printed {source.name} to something that is not a PDF.")
        target.write_bytes(pdf)
        return target

    # --- the DevTools protocol over the pipe: JSON messages ended by a NUL byte ------------------

    def _call(self, method: str, params: dict[str, Any] | None = None, *, session: str | None = None,
              timeout: float | None = None) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        try:
            os.write(self._write, json.dumps(message).encode() + b"\0")
        except OSError:
            raise self._died() from None
        while True:
            reply = self._receive(timeout or self.timeout, method)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RenderError(f"Chromium refused {method}: {reply['error'].get('message', reply['error'])}")
                return reply.get("result", {})

    def _wait_for_event(self, name: str, session: str) -> None:
        deadline = time.monotonic() + self.timeout
        while True:
            event = self._receive(deadline - time.monotonic(), name)
            if event.get("method") == name and event.get("sessionId") == session:
                return

    def _receive(self, timeout: float, waiting_for: str) -> dict[str, Any]:
        deadline = time.monotonic() + max(timeout, 0.0)
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise RenderError(f"Chromium did not answer ({waiting_for}) within {self.timeout:.0f} s.")
            ready, _, _ = select.select([self._read], [], [], left)
            if ready:
                chunk = os.read(self._read, 1 << 20)
                if not chunk:
                    raise self._died()
                self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def _died(self) -> RenderError:
        detail = "no message"
        if self._process is not None and self._process.poll() is not None and self._process.stderr is not None:
            detail = _last_error(self._process.stderr.read().decode("utf-8", "replace"))
        return RenderError(f"Chromium stopped unexpectedly: {detail}")


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
    with Chromium(timeout) as browser:
        return browser.print_pdf(html_path, pdf_path)


def _last_error(stderr: str) -> str:
    # Chromium logs harmless D-Bus complaints in containers; show the last line that is not one.
    lines = [line for line in stderr.splitlines() if line.strip() and "dbus" not in line.lower()]
    return lines[-1] if lines else "no message"

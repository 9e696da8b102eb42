"""Drive the chat page in headless Chromium against the live test server.

The page under test is the real one (`/chat`) with a setup script injected before chat.js:
it may seed localStorage, wrap `fetch` to lose responses, and type or tap on a schedule.
A report of what the page shows is kept in a hidden `<pre>`, read from the DOM dump.
Timers run on Chromium's virtual clock, so a minute of back-off takes a moment.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.responses import HTMLResponse

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-proxy-server",
    "--lang=pt-BR",
    "--accept-lang=pt-BR",
]
HARNESS_PATH = "/test-harness"

# Helpers for setup scripts, and the report the test reads back.
HARNESS_SCRIPT = """
window.harness = {
  type: function (text) {
    document.getElementById("text").value = text;
    document.getElementById("composer").requestSubmit();
  },
  tap: function (label) {
    const buttons = Array.from(document.querySelectorAll("#log button"));
    const button = buttons.filter(function (b) { return b.textContent === label; }).pop();
    if (button) button.click();
  },
  at: function (ms, action) { setTimeout(action, ms); },
};
document.addEventListener("DOMContentLoaded", function () {
  const report = document.createElement("pre");
  report.id = "harness-report";
  report.hidden = true;
  document.body.appendChild(report);
  setInterval(function () {
    const box = function (element) {
      const rect = element.getBoundingClientRect();
      return { top: rect.top, bottom: rect.bottom, left: rect.left, right: rect.right };
    };
    const items = Array.from(document.querySelectorAll("#log > li")).map(function (li) {
      return {
        box: box(li),
        kind: li.classList.contains("me") ? "me" : "bot",
        text: li.firstChild ? li.firstChild.textContent : "",
        whole: li.textContent,
        pending: li.classList.contains("pending"),
        buttons: Array.from(li.querySelectorAll("button")).map(function (b) {
          return { label: b.textContent, disabled: b.disabled };
        }),
        images: Array.from(li.querySelectorAll("img")).map(function (img) {
          return { alt: img.alt, width: img.naturalWidth };
        }),
        links: Array.from(li.querySelectorAll("a")).map(function (a) { return a.href; }),
      };
    });
    const status = document.getElementById("status");
    const last = document.querySelector("#log > li:last-child");
    report.textContent = JSON.stringify({
      items: items,
      status: status.hidden ? "" : status.textContent,
      storage: Object.assign({}, localStorage),
      layout: {
        width: window.innerWidth,
        height: window.innerHeight,
        scroll_width: document.documentElement.scrollWidth,
        input: box(document.getElementById("text")),
        log: box(document.querySelector("main")),
        last: last ? box(last) : null,
        buttons: Array.from(document.querySelectorAll("#log button")).map(box),
      },
    });
  }, 50);
});
"""
_REPORT = re.compile(r'<pre id="harness-report"[^>]*>(.*?)</pre>', re.DOTALL)


@dataclass
class PageReport:
    """What the page showed when the virtual time ran out."""

    items: list[dict[str, Any]]
    status: str
    storage: dict[str, str]
    layout: dict[str, Any]

    def texts(self, kind: str | None = None) -> list[str]:
        """The texts of the bubbles, of one kind ("me" or "bot") if given."""
        return [item["text"] for item in self.items if kind is None or item["kind"] == kind]


class ChatPage:
    """The chat page served by a live server, opened in a fresh Chromium profile each time."""

    def __init__(self, app: FastAPI, base_url: str, workdir: Path) -> None:
        self.base_url = base_url
        self.workdir = workdir
        self.runs = 0
        self.setup = ""
        app.add_api_route(HARNESS_PATH, self._harness_page, include_in_schema=False)

    def api(self) -> httpx.Client:
        """A client of the live server, for arranging a conversation."""
        return httpx.Client(base_url=self.base_url, trust_env=False, timeout=10)

    def open(
        self,
        setup: str = "",
        *,
        budget_ms: int = 20_000,
        size: tuple[int, int] = (390, 844),
        screenshot: Path | None = None,
    ) -> PageReport:
        """Load the page with `setup` run first; report what it shows after `budget_ms`."""
        assert CHROMIUM is not None
        self.runs += 1
        self.setup = setup
        command = [
            CHROMIUM,
            *FLAGS,
            f"--user-data-dir={self.workdir / f'profile-{self.runs}'}",
            f"--window-size={size[0]},{size[1]}",
            f"--virtual-time-budget={budget_ms}",
            "--dump-dom",
        ]
        if screenshot is not None:
            command.append(f"--screenshot={screenshot}")
        command.append(self.base_url + HARNESS_PATH)
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)
        found = _REPORT.search(done.stdout)
        assert found, f"no report in the page: {done.stdout[:2000]}"
        report = json.loads(html.unescape(found[1]))
        return PageReport(report["items"], report["status"], report["storage"], report["layout"])

    def _harness_page(self) -> HTMLResponse:
        with self.api() as client:
            page = client.get("/chat", headers={"Accept-Language": "pt-BR"}).text
        scripts = f"<script>{HARNESS_SCRIPT}\n{self.setup}</script>\n"
        marker = '<script src="/static/chat.js"'
        assert marker in page
        return HTMLResponse(page.replace(marker, scripts + marker))

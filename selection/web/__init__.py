"""The secretariat's workbench: a local web page over one call folder (``selection serve``).

An ASGI app (Starlette) with Jinja2 templates and vendored htmx; no build step, no CDN, no request
leaves the machine. It calls the same engine functions as the CLI and runs long jobs as the CLI
itself, so the page and the command line share one state: the files of the call folder.
See ``docs/web.md``.
"""

from __future__ import annotations

from selection.web.app import create_app
from selection.web.state import WhatIf, Workbench, parse_whatif

__all__ = ["create_app", "Workbench", "WhatIf", "parse_whatif"]

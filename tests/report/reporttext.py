"""Machine-independent views of a report for golden comparison: the HTML's visible text (images
left out: their pixels depend on the font rasteriser) and the workbook's cell values."""

from __future__ import annotations

import io
import json
from html.parser import HTMLParser

from openpyxl import load_workbook


class _Text(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("style", "script"):
            self._skip += 1
        if tag == "img":
            self.lines.append(f"[image: {dict(attrs).get('alt', '')}]")

    def handle_endtag(self, tag):
        if tag in ("style", "script"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.lines.append(data.strip())


def visible_text(html: str) -> str:
    p = _Text()
    p.feed(html)
    p.close()
    return "\n".join(p.lines) + "\n"


def workbook_json(data: bytes) -> str:
    wb = load_workbook(io.BytesIO(data))
    out = {ws.title: [[c for c in row] for row in ws.iter_rows(values_only=True)] for ws in wb.worksheets}
    return json.dumps(out, ensure_ascii=False, indent=1, default=str) + "\n"

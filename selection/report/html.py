"""The report as one self-contained HTML file: figures embedded as base64 SVG, no external
resources, print-friendly CSS, every piece of text escaped."""

from __future__ import annotations

import base64
import html
import io

import pandas as pd

from selection.report.content import Dossier, Figure, Para, Section, Table
from selection.report.words import number, plain, say
from selection.schema import report_files

__all__ = ["render_html", "figure_png"]

_CSS = """
body{font-family:"DejaVu Sans",Arial,Helvetica,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;
color:#222;line-height:1.45}
h1{font-size:1.6em;margin-bottom:.2em}h2{border-bottom:2px solid #0072B2;padding-bottom:.2em;margin-top:2em}
h3{margin-bottom:.3em}
table{border-collapse:collapse;margin:.5em 0 1.2em;font-size:.85em}
th,td{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}
th{background:#e8f1f8}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr:nth-child(even) td{background:#fafafa}
.notice{background:#fff4e0;border-left:4px solid #E69F00;padding:.5em .8em}
figure{margin:1em 0}figure img{max-width:100%;height:auto}figcaption{font-size:.8em;color:#555}
.meta td:first-child{font-weight:bold}
.dossier{border:1px solid #ccc;border-radius:4px;padding:.3em .8em;margin:.8em 0;break-inside:avoid}
.dossier h3{margin:.3em 0}.dossier table{width:100%}.dossier td:first-child{width:28%;font-weight:bold}
.scroll{overflow-x:auto}
nav ol{columns:2}
.keep{break-inside:avoid;page-break-inside:avoid}
@page{size:A4;margin:16mm 14mm 18mm}
@media print{body{max-width:none;margin:0;font-size:10pt}nav{display:none}
h2{break-before:page;page-break-before:always}
#summary h2,#call h2{break-before:auto;page-break-before:auto}
#summary{break-after:page;page-break-after:always}
h2,h3,caption,figcaption{break-after:avoid;page-break-after:avoid}p{orphans:3;widows:3}
.scroll{overflow:visible}figure,tr,.dossier{break-inside:avoid;page-break-inside:avoid}
thead{display:table-header-group}figure img{max-height:235mm}.keep figure img{max-height:175mm}
a{color:inherit;text-decoration:none}}
"""


def figure_png(ax) -> bytes:
    """The figure of ``ax`` as PNG bytes, without software/date metadata (reproducible)."""
    buf = io.BytesIO()
    ax.figure.savefig(buf, format="png", dpi=100, metadata={"Software": None})
    return buf.getvalue()


def _e(x) -> str:
    return html.escape("" if x is None else str(x), quote=True)


def _cell(v, lang: str = "en", digits: int | None = None) -> str:
    """One table cell: a number in the style of ``lang`` (``digits`` fixed decimals for a column of
    one kind of quantity, else at most four decimals; thousands grouped; never wrapped), yes/no in
    words, text escaped."""
    if v is None or (isinstance(v, float) and v != v) or v is pd.NA:
        return "<td></td>"
    if isinstance(v, bool):
        return f"<td>{_e(say('yes' if v else 'no', lang))}</td>"
    if digits is not None and isinstance(v, int | float):
        return f'<td class="num">{_e(number(v, digits, lang))}</td>'
    if isinstance(v, float):
        return f'<td class="num">{_e(plain(v, lang, most=4 if abs(v) < 1e4 else 0))}</td>'
    if isinstance(v, int):
        return f'<td class="num">{_e(plain(v, lang, most=0))}</td>'
    return f"<td>{_e(v)}</td>"


#: Larger tables are shown in part in the HTML (complete in the workbook).
_MAX_HTML_ROWS = 200
_MAX_HTML_COLUMNS = 40


def _summary(t: Table, rows: int, cols: int, lang: str) -> str:
    n, m = t.frame.shape
    book = report_files(lang)[1]
    where = (f" Hele tabellen står på arket \u201c{t.sheet}\u201d i projektmappen ({book})." if lang == "da" else
             f" The complete table is on the sheet \u201c{t.sheet}\u201d of the workbook ({book}).") \
        if t.sheet else ""
    if lang == "da":
        shown = f"Viser de første {plain(rows, lang)} af {plain(n, lang)} rækker" + \
            (f" og {plain(cols, lang)} af {plain(m, lang)} kolonner" if cols < m else "")
    else:
        shown = f"Showing the first {plain(rows, lang)} of {plain(n, lang)} rows" + \
            (f" and {plain(cols, lang)} of {plain(m, lang)} columns" if cols < m else "")
    return f'<p class="notice">{_e(shown + "." + where)}</p>'


def _table(t: Table, lang: str = "en") -> str:
    f = t.frame
    rows, cols = min(len(f), _MAX_HTML_ROWS), min(len(f.columns), _MAX_HTML_COLUMNS)
    note = _summary(t, rows, cols, lang) if (rows, cols) != f.shape else ""
    f = f.iloc[:rows, :cols]
    head = "".join(f"<th>{_e(c)}</th>" for c in f.columns)
    fixed = [t.digits.get(str(c)) for c in f.columns]
    body = "".join("<tr>" + "".join(_cell(v.item() if hasattr(v, "item") else v, lang, d) for v, d in zip(row, fixed, strict=True))
                   + "</tr>" for row in f.itertuples(index=False))
    return (f'<div class="scroll"><table><caption>{_e(t.caption)}</caption><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table></div>{note}")


def _dossiers(ds: list[Dossier]) -> str:
    out = []
    for d in ds:
        rows = "".join(f"<tr><td>{_e(k)}</td><td>{_e(v)}</td></tr>" for k, v in d.facts)
        out.append(f'<section class="dossier" id="app-{_e(d.application_id)}"><h3>{_e(d.application_id)} '
                   f"{_e(d.title)}</h3><table>{rows}</table></section>")
    return "".join(out)


def _block(b, lang: str = "en") -> str:
    if isinstance(b, Para):
        return f'<p class="notice">{_e(b.text)}</p>' if b.notice else f"<p>{_e(b.text)}</p>"
    if isinstance(b, Figure):
        from selection.plot import to_svg  # vector figures: sharp at any zoom and in print

        data = base64.b64encode(to_svg(b.draw())).decode("ascii")
        return (f'<figure><img alt="{_e(b.caption)}" src="data:image/svg+xml;base64,{data}">'
                f"<figcaption>{_e(b.caption)}</figcaption></figure>")
    if isinstance(b, Table):
        return _table(b, lang) if b.in_html else ""
    if isinstance(b, list):
        return _dossiers(b)
    raise TypeError(f"unknown report block {type(b).__name__}")


def _kept(blocks: list) -> int:
    """How many of a section's first blocks print on one page with its heading: the first block;
    or its opening paragraphs (up to three) and the figure after them, so a page-tall first figure
    does not leave the heading and its introduction alone on a page (the kept figure is drawn at
    most 175 mm tall in print, ``.keep figure img`` in the CSS, so heading, introduction, figure and
    caption fit on an A4 page)."""
    lead = 0
    while lead < min(len(blocks), 3) and isinstance(blocks[lead], Para):
        lead += 1
    return lead + 1 if lead < len(blocks) and isinstance(blocks[lead], Figure) else min(len(blocks), 1)


def _section(s: Section, lang: str) -> str:
    """A section; its heading kept on one page with the block that follows it (with the figure
    after its opening paragraphs, see :func:`_kept`)."""
    blocks = [_block(b, lang) for b in s.blocks]
    k = _kept(s.blocks)
    head = f'<div class="keep"><h2>{_e(s.title)}</h2>' + "".join(blocks[:k]) + "</div>"
    return "\n".join([f'<section id="{_e(s.id)}">{head}', *blocks[k:], "</section>"])


def render_html(sections: list[Section], meta: list[tuple[str, str]], notes: list[str], *, title: str,
                lang: str = "en") -> str:
    """The whole report as an HTML5 document (a string)."""
    nav = "".join(f'<li><a href="#{_e(s.id)}">{_e(s.title)}</a></li>' for s in sections)
    meta_rows = "".join(f"<tr><td>{_e(k)}</td><td>{_e(v)}</td></tr>" for k, v in meta)
    parts = [f'<!DOCTYPE html>\n<html lang="{_e(lang)}"><head><meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>",
             f"<header><h1>{_e(title)}</h1></header>"]
    # the decision summary first (one printed page), then what the report was made from
    first = [s for s in sections if s.id == "summary"]
    rest = [s for s in sections if s.id != "summary"]
    parts.extend(_section(s, lang) for s in first)
    parts.append(f'<table class="meta">{meta_rows}</table>')
    if notes:
        parts.append(f"<p>{_e(say('notes', lang))}: " + " ".join(_e(n) for n in notes) + "</p>")
    parts.append(f"<nav><h2>{_e(say('contents', lang))}</h2><ol>{nav}</ol></nav>")
    parts.extend(_section(s, lang) for s in rest)
    parts.append("</body></html>\n")
    return "\n".join(parts)

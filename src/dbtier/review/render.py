"""The design document as Markdown (for the repository) and as one HTML page (for a browser).

The HTML is the Markdown rendered by markdown-it-py (already nippo's parser)
with its tables, a small stylesheet, coloured status marks, and the ER
diagram drawn as SVG by Graphviz when `dot` is installed (Mermaid text
otherwise, which GitHub and many viewers draw themselves).
"""

from __future__ import annotations

import html
import shutil
import subprocess

from markdown_it import MarkdownIt

from dbtier.review.model import Review, Status

MARK: dict[Status, str] = {"pass": "✅ pass", "warn": "⚠️ warn", "fail": "❌ fail", "info": "ℹ️ info"}


def to_markdown(review: Review) -> str:
    """The whole review as Markdown."""
    out = [
        f"# {review.title}",
        "",
        f"Generated {review.generated_at} by `dbtier review`. "
        f"{review.count('fail')} fail, {review.count('warn')} warn, "
        f"{review.count('pass')} pass.",
        "",
        "| input | |",
        "|---|---|",
        *[f"| {k} | {_cell(v)} |" for k, v in review.inputs.items()],
        "",
        "| section | worst |",
        "|---|---|",
        *[f"| [{s.title}](#{_anchor(s.title)}) | {MARK[s.worst]} |" for s in review.sections],
        "",
    ]
    for section in review.sections:
        out += [f"## {section.title}", "", f"*{section.seed}*", ""]
        if section.skipped:
            out += [f"> {section.skipped}", ""]
        if section.items:
            out += ["| | check | evidence | from |", "|---|---|---|---|"]
            out += [
                f"| {MARK[i.status]} | {_cell(i.check)} | {_cell(i.evidence)} | {i.source} |"
                for i in section.items
            ]
            out.append("")
        if section.body:
            out += [section.body.rstrip("\n"), ""]
    return "\n".join(out)


def to_html(review: Review, er_dot: str | None = None) -> str:
    """One self-contained HTML page; the ER diagram as inline SVG when Graphviz is there."""
    text = to_markdown(review)
    svg = _svg(er_dot) if er_dot else None
    if svg is not None:
        start = text.find("```mermaid\n")
        end = text.find("```\n", start + 10)
        if start != -1 and end != -1:
            text = text[:start] + "<!--ER-->\n" + text[end + 4 :]
    body = MarkdownIt("commonmark", {"html": False}).enable("table").render(text)
    if svg is not None:
        body = body.replace("<!--ER-->", "").replace(
            "<p>&lt;!--ER--&gt;</p>", f'<div class="er">{svg}</div>'
        )
    return _PAGE.format(title=html.escape(review.title), body=body)


def _svg(dot: str) -> str | None:
    program = shutil.which("dot")
    if program is None:
        return None
    result = subprocess.run(  # noqa: S603  (a fixed program; the DOT text goes on stdin)
        [program, "-Tsvg"], input=dot.encode(), capture_output=True, timeout=60, check=False
    )
    if result.returncode != 0:
        return None
    svg = result.stdout.decode()
    return svg[svg.find("<svg") :]


def _cell(text: str) -> str:
    return text.replace("|", "/").replace("\n", " ")


def _anchor(title: str) -> str:
    return "".join(ch for ch in title.lower().replace(" ", "-") if ch.isalnum() or ch == "-")


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 72rem; margin: 2rem auto; padding: 0 1rem;
       color: #1f2328; line-height: 1.45; }}
table {{ border-collapse: collapse; margin: 0.5rem 0 1rem; font-size: 0.92rem; }}
th, td {{ border: 1px solid #d0d7de; padding: 0.3rem 0.55rem; vertical-align: top;
         text-align: left; }}
th {{ background: #f6f8fa; }}
h2 {{ border-bottom: 1px solid #d0d7de; padding-bottom: 0.2rem; margin-top: 2rem; }}
code, pre {{ background: #f6f8fa; border-radius: 4px; }}
pre {{ padding: 0.6rem; overflow-x: auto; }}
blockquote {{ color: #57606a; border-left: 4px solid #d0d7de; margin: 0; padding-left: 0.8rem; }}
.er svg {{ max-width: 100%; height: auto; }}
</style></head>
<body>
{body}
</body></html>
"""

__all__ = ["MARK", "to_html", "to_markdown"]

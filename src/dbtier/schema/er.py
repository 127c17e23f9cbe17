"""The live schema as an entity-relationship diagram: Mermaid text, and Graphviz DOT for pictures.

Mermaid renders on GitHub and in most Markdown viewers; the DOT form is what
`dbtier review` turns into an SVG for its HTML page when Graphviz is there.
A foreign key is a relationship from the referred table (one) to the
referencing one (many, or at most one when the key columns are unique); a
nullable key makes the "one" side optional.
"""

from __future__ import annotations

import re

from dbtier.schema.facts import TOOL_TABLES, SchemaFacts, Table

_TYPE_WORD = re.compile(r"[^a-z0-9_]+")


def mermaid(facts: SchemaFacts, *, include_tool_tables: bool = False) -> str:
    """`erDiagram` text for the tables of `facts`."""
    tables = _tables(facts, include_tool_tables)
    lines = ["erDiagram"]
    for table in tables:
        lines.append(f"    {table.name} {{")
        for column in table.columns:
            type_word = _TYPE_WORD.sub("_", column.type.split("(")[0].strip()).strip("_") or "value"
            keys = ",".join(_keys(table, column.name))
            detail = column.type + ("" if column.nullable else " not null")
            lines.append(
                f'        {type_word} {column.name}{" " + keys if keys else ""} "{detail}"'
            )
        lines.append("    }")
    for table in tables:
        for fk in table.foreign_keys:
            one = "|o" if _nullable(table, fk.columns) else "||"
            many = "o|" if _unique(table, fk.columns) else "o{"
            label = ", ".join(fk.columns)
            lines.append(f'    {fk.referred_table} {one}--{many} {table.name} : "{label}"')
    return "\n".join(lines) + "\n"


def dot(facts: SchemaFacts, *, include_tool_tables: bool = False) -> str:
    """The same diagram as Graphviz DOT (record-shaped tables, edges for foreign keys)."""
    tables = _tables(facts, include_tool_tables)
    out = [
        "digraph er {",
        '  graph [rankdir=LR, fontname="Helvetica"];',
        '  node [shape=plaintext, fontname="Helvetica", fontsize=10];',
        '  edge [arrowhead=crow, arrowtail=tee, dir=both, color="#555555"];',
    ]
    for table in tables:
        rows = "".join(
            f'<tr><td align="left">{_esc(c.name)}</td><td align="left">{_esc(c.type)}</td>'
            f"<td>{_esc(','.join(_keys(table, c.name)))}</td></tr>"
            for c in table.columns
        )
        out.append(
            f'  "{table.name}" [label=<<table border="0" cellborder="1" cellspacing="0">'
            f'<tr><td colspan="3" bgcolor="#dde7f0"><b>{_esc(table.name)}</b></td></tr>'
            f"{rows}</table>>];"
        )
    for table in tables:
        for fk in table.foreign_keys:
            label = ", ".join(fk.columns)
            out.append(f'  "{fk.referred_table}" -> "{table.name}" [label="{label}", fontsize=9];')
    out.append("}")
    return "\n".join(out) + "\n"


def _tables(facts: SchemaFacts, include_tool_tables: bool) -> list[Table]:
    return [t for t in facts.tables if include_tool_tables or t.name not in TOOL_TABLES]


def _keys(table: Table, column: str) -> list[str]:
    keys = []
    if column in table.primary_key:
        keys.append("PK")
    if any(column in fk.columns for fk in table.foreign_keys):
        keys.append("FK")
    if any(ix.unique and not ix.primary and ix.columns == (column,) for ix in table.indexes):
        keys.append("UK")
    return keys


def _nullable(table: Table, columns: tuple[str, ...]) -> bool:
    return any((c := table.column(name)) is not None and c.nullable for name in columns)


def _unique(table: Table, columns: tuple[str, ...]) -> bool:
    return any(ix.unique and set(ix.columns) == set(columns) for ix in table.indexes)


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


__all__ = ["dot", "mermaid"]

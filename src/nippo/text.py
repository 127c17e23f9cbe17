"""Which characters a stored string may hold, decided once for every entry point.

single-line fields: titles, headings, path, query and header values.
multi-line fields: bullets, verbatim bodies, feedback, imported Markdown.

    U+0000 NUL                 refused everywhere: PostgreSQL `text` cannot hold it
    C0 controls U+0001-U+001F  refused, except TAB (single-line) or TAB, LF, CR (multi-line)
    lone surrogates D800-DFFF  refused everywhere: not encodable as UTF-8, no backend stores them
    anything else              accepted (DEL, C1, astral planes): SQLite, MariaDB utf8mb4
                               and PostgreSQL UTF8 all store it

The JSON schema cannot speak of lone surrogates (JSON Schema strings are code
points), so `SINGLE_LINE_PATTERN` / `MULTI_LINE_PATTERN` describe the controls
and the validators also refuse surrogates.
"""

from __future__ import annotations

import re
import unicodedata

# ECMA-262 patterns for the OpenAPI schema (the same sets as the regexes below).
SINGLE_LINE_PATTERN = r"^[^\u0000-\u0008\u000A-\u001F]*$"
MULTI_LINE_PATTERN = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F]*$"

_SINGLE_LINE_BAD = re.compile("[\x00-\x08\x0a-\x1f\ud800-\udfff]")
_MULTI_LINE_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
_ANY_BAD = _SINGLE_LINE_BAD
# The same single-line set for bytes read as latin-1 (one character per byte: no surrogates).
_SINGLE_LINE_BAD_BYTES = re.compile(b"[\x00-\x08\x0a-\x1f]")


class UnstorableText(ValueError):
    """A string holds a character no backend stores; names the character and its offset."""

    def __init__(self, char: str, offset: int) -> None:
        self.char = char
        self.offset = offset
        super().__init__(f"{describe(char)} at character {offset + 1} cannot be stored; remove it")


def describe(char: str) -> str:
    """A character named so a user can find it: 'U+0000 (NUL)', 'a lone surrogate U+D800'."""
    code = ord(char)
    if 0xD800 <= code <= 0xDFFF:
        return f"a lone surrogate U+{code:04X}"
    if code == 0:
        return "U+0000 (NUL)"
    name = unicodedata.name(char, "")
    return f"control character U+{code:04X}" + (f" ({name})" if name else "")


def first_unstorable(value: str, *, multiline: bool) -> UnstorableText | None:
    """The first character `value` may not hold, as an error; None when all are storable."""
    match = (_MULTI_LINE_BAD if multiline else _SINGLE_LINE_BAD).search(value)
    return None if match is None else UnstorableText(match.group(), match.start())


def latin1_line_storable(value: bytes) -> bool:
    """True when `value`, read as latin-1, is one storable line (`first_unstorable` finds
    nothing in `value.decode("latin-1")`), checked on the bytes."""
    return _SINGLE_LINE_BAD_BYTES.search(value) is None


def check_storable(value: str, *, multiline: bool) -> str:
    """`value` unchanged, or `UnstorableText` naming the first character it may not hold."""
    problem = first_unstorable(value, multiline=multiline)
    if problem is not None:
        raise problem
    return value


def printable(value: str) -> str:
    """`value` with every unstorable character written as a visible `\\uXXXX` escape.

    Error messages that quote input go through this, so a refusal can always be
    encoded as UTF-8 JSON (a lone surrogate cannot).
    """
    return _ANY_BAD.sub(lambda m: f"\\u{ord(m.group()):04x}", value)


__all__ = [
    "MULTI_LINE_PATTERN",
    "SINGLE_LINE_PATTERN",
    "UnstorableText",
    "check_storable",
    "describe",
    "first_unstorable",
    "latin1_line_storable",
    "printable",
]

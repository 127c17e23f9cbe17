"""The RDS parameter formula language: parse, evaluate and emit.

RDS lets a parameter value be a formula of the instance it runs on:

    {DBInstanceClassMemory*3/4}                       a braced expression
    LEAST({DBInstanceClassMemory/9531392},5000)       GREATEST, LEAST, SUM of terms
    GREATEST({log(DBInstanceClassMemory/21474836480)*600},200)
    GREATEST(${DBInstanceVCPU*2},8)                   some engines print a `$` before `{`

Inside braces only `*` and `/` exist; each step truncates to an integer, as RDS
does. `log` is base 2; a log of a value below 1 counts as 0 (RDS then takes the
GREATEST with a floor, so the result is the same). Variables are the ones RDS
defines: DBInstanceClassMemory, DBInstanceVCPU, AllocatedStorage, EndPointPort,
DBInstanceClassHugePagesDefault, TrueIfReplica.

Hand-written (a recursive-descent parser of ~100 lines): no library parses
this language, and a general expression library would accept what RDS rejects.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

from dbtier.errors import UsageError

VARIABLES = (
    "DBInstanceClassMemory",
    "DBInstanceVCPU",
    "AllocatedStorage",
    "EndPointPort",
    "DBInstanceClassHugePagesDefault",
    "TrueIfReplica",
)
FUNCTIONS = ("GREATEST", "LEAST", "SUM")

Number = int | float


class FormulaError(UsageError):
    """A formula does not parse, or names an unknown variable or function."""


@dataclass(frozen=True)
class Const:
    """An integer literal."""

    value: int

    def evaluate(self, env: Mapping[str, int]) -> Number:
        return self.value

    def emit(self) -> str:
        return str(self.value)


@dataclass(frozen=True)
class Var:
    """One of the RDS variables."""

    name: str

    def evaluate(self, env: Mapping[str, int]) -> Number:
        if self.name not in env:
            raise FormulaError(f"formula variable {self.name} has no value for this instance")
        return env[self.name]

    def emit(self) -> str:
        return self.name


@dataclass(frozen=True)
class BinOp:
    """`left * right` or `left / right`, truncated to an integer as RDS does."""

    op: str
    left: Expr
    right: Expr

    def evaluate(self, env: Mapping[str, int]) -> Number:
        left, right = self.left.evaluate(env), self.right.evaluate(env)
        if self.op == "*":
            return math.trunc(left * right)
        if right == 0:
            raise FormulaError(f"division by zero in {{{self.emit()}}}")
        return math.trunc(left / right) if isinstance(left, float) else int(left) // int(right)

    def emit(self) -> str:
        return f"{self.left.emit()}{self.op}{self.right.emit()}"


@dataclass(frozen=True)
class Log:
    """`log(x)`: base-2 logarithm; values below 1 count as 0."""

    arg: Expr

    def evaluate(self, env: Mapping[str, int]) -> Number:
        value = self.arg.evaluate(env)
        return math.log2(value) if value >= 1 else 0.0

    def emit(self) -> str:
        return f"log({self.arg.emit()})"


@dataclass(frozen=True)
class Braced:
    """`{expr}`: an arithmetic expression of the instance's variables."""

    body: Expr

    def evaluate(self, env: Mapping[str, int]) -> Number:
        return math.trunc(self.body.evaluate(env))

    def emit(self) -> str:
        return f"{{{self.body.emit()}}}"


@dataclass(frozen=True)
class Call:
    """GREATEST(...), LEAST(...) or SUM(...) of terms."""

    name: str
    args: tuple[Expr, ...]

    def evaluate(self, env: Mapping[str, int]) -> Number:
        values = [arg.evaluate(env) for arg in self.args]
        if self.name == "GREATEST":
            return max(values)
        if self.name == "LEAST":
            return min(values)
        return sum(values)

    def emit(self) -> str:
        return f"{self.name}({','.join(arg.emit() for arg in self.args)})"


Expr = Const | Var | BinOp | Log | Braced | Call

_TOKEN = re.compile(r"\s*(?:(?P<num>-?\d+)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<op>[{}()*/,$]))")


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens: list[tuple[str, str, int]] = []
        pos = 0
        while pos < len(text.rstrip()):
            match = _TOKEN.match(text, pos)
            if match is None or match.end() == pos:
                raise FormulaError(f"formula {text!r}: unexpected character at position {pos}")
            kind = match.lastgroup or "op"
            self.tokens.append((kind, match.group(kind), match.start(kind)))
            pos = match.end()
        self.index = 0

    def peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self, expected: str | None = None) -> tuple[str, str, int]:
        token = self.peek()
        if token is None or (expected is not None and token[1] != expected):
            where = f"at position {token[2]}" if token else "at the end"
            want = f"{expected!r}" if expected else "more"
            raise FormulaError(f"formula {self.text!r}: expected {want} {where}")
        self.index += 1
        return token

    def term(self) -> Expr:
        """A top-level term: a number, a braced expression or a function call."""
        kind, value, pos = self.take()
        if kind == "num":
            return Const(int(value))
        if value == "$":
            self.take("{")
            return self.braced()
        if value == "{":
            return self.braced()
        if kind == "name" and value.upper() in FUNCTIONS:
            self.take("(")
            args = [self.term()]
            while self.peek() is not None and self.peek()[1] == ",":  # type: ignore[index]
                self.take(",")
                args.append(self.term())
            self.take(")")
            return Call(value.upper(), tuple(args))
        raise FormulaError(
            f"formula {self.text!r}: unexpected {value!r} at position {pos}; "
            f"a term is a number, {{expression}} or one of {', '.join(FUNCTIONS)}"
        )

    def braced(self) -> Expr:
        body = self.product()
        self.take("}")
        return Braced(body)

    def product(self) -> Expr:
        expr = self.factor()
        while (token := self.peek()) is not None and token[1] in "*/":
            self.take()
            expr = BinOp(token[1], expr, self.factor())
        return expr

    def factor(self) -> Expr:
        kind, value, pos = self.take()
        if kind == "num":
            return Const(int(value))
        if kind == "name" and value.lower() == "log":
            self.take("(")
            arg = self.product()
            self.take(")")
            return Log(arg)
        if kind == "name" and value in VARIABLES:
            return Var(value)
        if value == "(":
            inner = self.product()
            self.take(")")
            return inner
        raise FormulaError(
            f"formula {self.text!r}: unknown name {value!r} at position {pos}; "
            f"variables are {', '.join(VARIABLES)}"
        )


def parse(text: str) -> Expr:
    """Parse an RDS formula; FormulaError names the position of the problem."""
    parser = _Parser(text)
    expr = parser.term()
    if parser.peek() is not None:
        raise FormulaError(f"formula {text!r}: unexpected text at position {parser.peek()[2]}")  # type: ignore[index]
    return expr


def is_formula(value: str) -> bool:
    """True when `value` is a formula rather than a literal parameter value."""
    text = value.strip()
    return text.startswith(("{", "${")) or text.upper().startswith(
        tuple(f + "(" for f in FUNCTIONS)
    )


def evaluate(text: str, env: Mapping[str, int]) -> int:
    """Evaluate an RDS formula for one instance's variables, as an integer."""
    return math.trunc(parse(text).evaluate(env))


def memory_fraction(numerator: int, denominator: int) -> str:
    """Emit `{DBInstanceClassMemory*n/d}` (or `/d` alone when n is 1)."""
    body: Expr = Var("DBInstanceClassMemory")
    if numerator != 1:
        body = BinOp("*", body, Const(numerator))
    return Braced(BinOp("/", body, Const(denominator))).emit()


def instance_variables(
    *,
    class_memory_bytes: int,
    vcpu: int,
    allocated_storage_bytes: int,
    port: int,
    huge_pages_default: bool = False,
    replica: bool = False,
) -> dict[str, int]:
    """The RDS formula variables for one instance."""
    return {
        "DBInstanceClassMemory": class_memory_bytes,
        "DBInstanceVCPU": vcpu,
        "AllocatedStorage": allocated_storage_bytes,
        "EndPointPort": port,
        "DBInstanceClassHugePagesDefault": int(huge_pages_default),
        "TrueIfReplica": int(replica),
    }


__all__ = [
    "FUNCTIONS",
    "VARIABLES",
    "BinOp",
    "Braced",
    "Call",
    "Const",
    "Expr",
    "FormulaError",
    "Log",
    "Var",
    "evaluate",
    "instance_variables",
    "is_formula",
    "memory_fraction",
    "parse",
]

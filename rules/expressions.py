"""The show-if expression language: a small, safe parser and evaluator.

Grammar (lowest precedence first; ``not`` binds tighter than comparisons, as in
JavaScript and SurveyJS, so ``not {a} = 1`` means ``(not {a}) = 1``)::

    or_expr   := and_expr ("or" and_expr)*
    and_expr  := cmp_expr ("and" cmp_expr)*
    cmp_expr  := unary (CMP unary)?          CMP: = != < <= > >= contains
    unary     := "not" unary | primary
    primary   := VAR | NUMBER | STRING | "true" | "false" | "(" or_expr ")"

    VAR    := "{" key ("." row)? "}"         e.g. {q1}, {service.speed}
    NUMBER := -?digits(.digits)?
    STRING := '...' with \\' and \\\\ as the only escapes

Values are ``None`` (unanswered), ``bool``, ``int``/``float``, ``str`` or ``list`` of ``str``.
Evaluation never raises (see ``Compare.evaluate`` for the rules); the text is parsed once
into a tree of the classes below and never given to ``eval``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Mapping

from rules.messages import Message, N_

MAX_LENGTH = 2000
MAX_DEPTH = 50
KEY_RE = r"[a-z][a-z0-9_]{0,39}"
VAR_NAME_RE = re.compile(rf"{KEY_RE}(?:\.{KEY_RE})?", re.ASCII)
COMPARISON_OPS = ("=", "!=", "<", "<=", ">", ">=", "contains")
KEYWORDS = {"and", "or", "not", "contains", "true", "false"}


class ExpressionError(ValueError):
    """A syntax error in an expression, with a 0-based character position.

    ``reason`` is the message as a template with its parameters (the app translates it); ``message`` its English.
    """

    def __init__(self, template: str, position: int, expression: str = "", **params: Any):
        self.reason = Message.of(template, **params)
        self.message = str(self.reason)
        super().__init__(self.message)
        self.position = position
        self.expression = expression

    def __str__(self) -> str:
        return f"{self.message} (at character {self.position + 1})"

    def pointer(self) -> str:
        """Render the expression with a caret under the offending character."""
        return f"{self.expression}\n{' ' * self.position}^"


# --------------------------------------------------------------------------- tokens

@dataclass(frozen=True)
class Token:
    kind: str  # "var", "number", "string", "op", "word", "(", ")", "end"
    value: Any
    position: int


_DIGITS = "0123456789"
_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*", re.ASCII)


def tokenize(text: str) -> list[Token]:
    """Split an expression into tokens, raising ExpressionError on anything outside the grammar."""
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in " \t\r\n":
            i += 1
        elif ch == "{":
            end = text.find("}", i + 1)
            if end < 0:
                raise ExpressionError(N_("unclosed '{': a variable is written {key}"), i, text)
            name = text[i + 1:end]
            if not VAR_NAME_RE.fullmatch(name):
                raise ExpressionError(
                    N_("'{%(name)s}' is not a valid variable: write {key} with a question key"), i, text, name=name
                )
            tokens.append(Token("var", name, i))
            i = end + 1
        elif ch == "'":
            j, chars = i + 1, []
            while True:
                if j >= n:
                    raise ExpressionError(N_("unterminated string: add the closing '"), i, text)
                c = text[j]
                if c == "\\":
                    if j + 1 < n and text[j + 1] in "'\\":
                        chars.append(text[j + 1])
                        j += 2
                        continue
                    raise ExpressionError(N_("unknown escape: only \\' and \\\\ are allowed in strings"), j, text)
                if c == "'":
                    break
                chars.append(c)
                j += 1
            tokens.append(Token("string", "".join(chars), i))
            i = j + 1
        elif ch in _DIGITS or (ch == "-" and i + 1 < n and text[i + 1] in _DIGITS):
            m = _NUMBER.match(text, i)
            raw = m.group(0)
            tokens.append(Token("number", float(raw) if "." in raw else int(raw), i))
            i = m.end()
        elif ch in "()":
            tokens.append(Token(ch, ch, i))
            i += 1
        elif text.startswith(("!=", "<=", ">="), i):
            tokens.append(Token("op", text[i:i + 2], i))
            i += 2
        elif text.startswith("==", i):
            raise ExpressionError(N_("use a single = to compare"), i, text)
        elif ch in "=<>":
            tokens.append(Token("op", ch, i))
            i += 1
        elif _WORD.match(text, i):
            m = _WORD.match(text, i)
            word = m.group(0)
            if word not in KEYWORDS:
                if word.lower() in KEYWORDS:
                    raise ExpressionError(N_("unknown word '%(word)s' (keywords are lowercase); variables are "
                                             "written {key} and strings 'in quotes'"), i, text, word=word)
                raise ExpressionError(N_("unknown word '%(word)s'; variables are written {key} and strings "
                                         "'in quotes'"), i, text, word=word)
            tokens.append(Token("op" if word == "contains" else "word", word, i))
            i = m.end()
        elif ch == '"':
            raise ExpressionError(N_("strings use single quotes: 'text'"), i, text)
        else:
            raise ExpressionError(N_("unexpected character %(character)s"), i, text, character=repr(ch))
    tokens.append(Token("end", None, n))
    return tokens


# --------------------------------------------------------------------------- tree

def truthy(value: Any) -> bool:
    """A value used as a condition means 'is answered': None, '', [] and false are false; 0 is an answer."""
    if value is None or value is False:
        return False
    if isinstance(value, (str, list, tuple)):
        return len(value) > 0
    return True


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class Node:
    """Base class of the expression tree."""

    precedence = 5

    def evaluate(self, values: Mapping[str, Any]) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def children(self) -> tuple[Node, ...]:
        return ()

    def walk(self) -> Iterator[Node]:
        """Yield this node and all its descendants, depth first."""
        yield self
        for child in self.children():
            yield from child.walk()


@dataclass(frozen=True)
class Var(Node):
    name: str
    position: int = 0

    def evaluate(self, values):
        return values.get(self.name)

    def __eq__(self, other):
        return isinstance(other, Var) and other.name == self.name

    def __hash__(self):
        return hash(("var", self.name))


@dataclass(frozen=True)
class Literal(Node):
    value: Any

    def evaluate(self, values):
        return self.value


@dataclass(frozen=True)
class Not(Node):
    operand: Node
    precedence = 4

    def evaluate(self, values):
        return not truthy(self.operand.evaluate(values))

    def children(self):
        return (self.operand,)


@dataclass(frozen=True)
class Compare(Node):
    op: str
    left: Node
    right: Node
    precedence = 3

    def children(self):
        return (self.left, self.right)

    def evaluate(self, values):
        return compare(self.op, self.left.evaluate(values), self.right.evaluate(values))


@dataclass(frozen=True)
class And(Node):
    left: Node
    right: Node
    precedence = 2

    def children(self):
        return (self.left, self.right)

    def evaluate(self, values):
        return truthy(self.left.evaluate(values)) and truthy(self.right.evaluate(values))


@dataclass(frozen=True)
class Or(Node):
    left: Node
    right: Node
    precedence = 1

    def children(self):
        return (self.left, self.right)

    def evaluate(self, values):
        return truthy(self.left.evaluate(values)) or truthy(self.right.evaluate(values))


def compare(op: str, a: Any, b: Any) -> bool:
    """Apply a comparison operator; missing values and type mismatches never raise.

    - any comparison with a missing value (None) is false (so ``{q} != 'x'`` is false when unanswered);
    - ``=`` is true for two numbers, two strings, two booleans or two lists that are equal; ``!=`` is
      its negation when both sides are present (a number and a string are therefore ``!=``);
    - ``< <= > >=`` compare two numbers or two strings, anything else is false;
    - ``contains``: a list contains an element, a string contains a substring, anything else is false.
    """
    if a is None or b is None:
        return False
    if op in ("=", "!="):
        same = _same_kind(a, b) and a == b
        return same if op == "=" else not same
    if op == "contains":
        if isinstance(a, (list, tuple)):
            return any(_same_kind(x, b) and x == b for x in a)
        if isinstance(a, str) and isinstance(b, str):
            return b in a
        return False
    if (_is_number(a) and _is_number(b)) or (isinstance(a, str) and isinstance(b, str)):
        if op == "<":
            return a < b
        if op == "<=":
            return a <= b
        if op == ">":
            return a > b
        if op == ">=":
            return a >= b
    return False


def _same_kind(a: Any, b: Any) -> bool:
    if _is_number(a):
        return _is_number(b)
    if isinstance(a, bool):
        return isinstance(b, bool)
    if isinstance(a, str):
        return isinstance(b, str)
    if isinstance(a, (list, tuple)):
        return isinstance(b, (list, tuple))
    return False


# --------------------------------------------------------------------------- parser

class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0
        self.depth = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def error(self, template: str, token: Token | None = None, **params) -> ExpressionError:
        token = token or self.tok
        return ExpressionError(template, token.position, self.text, **params)

    def take(self) -> Token:
        token = self.tok
        self.i += 1
        return token

    def parse(self) -> Node:
        if self.tok.kind == "end":
            raise self.error(N_("the expression is empty"))
        node = self.or_expr()
        if self.tok.kind != "end":
            raise self.error(N_("unexpected %(found)s: expected %(first)s, %(second)s or the end"), found=describe(self.tok),
                             first="and", second="or")
        return node

    def enter(self):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(N_("the expression is nested too deeply (more than %(levels)d levels)"), levels=MAX_DEPTH)

    def or_expr(self) -> Node:
        node = self.and_expr()
        while self.tok.kind == "word" and self.tok.value == "or":
            self.take()
            node = Or(node, self.and_expr())
        return node

    def and_expr(self) -> Node:
        node = self.cmp_expr()
        while self.tok.kind == "word" and self.tok.value == "and":
            self.take()
            node = And(node, self.cmp_expr())
        return node

    def cmp_expr(self) -> Node:
        left = self.unary()
        if self.tok.kind == "op":
            op = self.take().value
            right = self.unary()
            if self.tok.kind == "op":
                raise self.error(N_("comparisons cannot be chained: use %(word)s between them"), word="and")
            return Compare(op, left, right)
        return left

    def unary(self) -> Node:
        if self.tok.kind == "word" and self.tok.value == "not":
            self.take()
            self.enter()
            node = Not(self.unary())
            self.depth -= 1
            return node
        return self.primary()

    def primary(self) -> Node:
        tok = self.tok
        if tok.kind == "var":
            self.take()
            return Var(tok.value, tok.position)
        if tok.kind in ("number", "string"):
            self.take()
            return Literal(tok.value)
        if tok.kind == "word" and tok.value in ("true", "false"):
            self.take()
            return Literal(tok.value == "true")
        if tok.kind == "(":
            self.take()
            self.enter()
            node = self.or_expr()
            self.depth -= 1
            if self.tok.kind != ")":
                raise self.error(N_("expected ')' to close the '(' at character %(at)d"), at=tok.position + 1)
            self.take()
            return node
        if tok.kind == "end":
            raise self.error(N_("the expression ends too early: a value is missing"))
        raise self.error(N_("unexpected %(found)s: expected a {variable}, a number, a 'string' or '('"), found=describe(tok))


def describe(tok: Token) -> Message:
    """Describe a token for an error message."""
    if tok.kind == "end":
        return Message.of(N_("end of expression"))
    if tok.kind == "var":
        return Message.of(N_("variable {%(name)s}"), name=tok.value)
    if tok.kind == "string":
        return Message.of(N_("string '%(text)s'"), text=tok.value)
    return Message.of(N_("'%(text)s'"), text=tok.value)


# --------------------------------------------------------------------------- public API

@dataclass(frozen=True)
class Expression:
    """A parsed expression: evaluate it many times against answer values."""

    source: str
    tree: Node

    def evaluate(self, values: Mapping[str, Any]) -> bool:
        """Evaluate against a mapping of variable name to value; unknown names are unanswered."""
        return truthy(self.tree.evaluate(values))

    @property
    def variables(self) -> list[str]:
        """Variable names in order of first appearance."""
        seen: dict[str, None] = {}
        for node in self.tree.walk():
            if isinstance(node, Var):
                seen.setdefault(node.name, None)
        return list(seen)

    def var_nodes(self) -> list[Var]:
        """Every variable occurrence (with its character position)."""
        return [n for n in self.tree.walk() if isinstance(n, Var)]

    def canonical(self) -> str:
        """The expression re-printed in canonical form (single spaces, minimal parentheses)."""
        return to_source(self.tree)

    def to_json(self) -> list:
        """The parsed tree as nested lists, for the browser's evaluator (one parser: this one)."""
        return tree_json(self.tree)


def parse_expression(text: str) -> Expression:
    """Parse an expression string, raising ExpressionError with a position on any error."""
    if not isinstance(text, str):
        raise ExpressionError(N_("an expression must be a string"), 0, "")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(N_("the expression is longer than %(limit)d characters"), MAX_LENGTH, text, limit=MAX_LENGTH)
    return Expression(text, _Parser(text).parse())


def quote(value: str) -> str:
    """Quote a string literal in our syntax."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def format_literal(value: Any) -> str:
    """Print a literal value in our syntax."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return quote(value)
    return repr(value)


def unparse(
    node: Node,
    *,
    var: Callable[[str], str] = lambda name: "{" + name + "}",
    literal: Callable[[Any], str] = format_literal,
    op: Callable[[str], str] = lambda o: o,
    not_: Callable[[str, Node], str] | None = None,
    compare_: Callable[[Compare, str, str], str | None] | None = None,
    and_: str = "and",
    or_: str = "or",
) -> str:
    """Print a tree with minimal parentheses; the hooks let other dialects (XLSForm, SurveyJS) reuse it."""

    def wrap(child: Node, minimum: int) -> str:
        text = render(child)
        return f"({text})" if child.precedence < minimum else text

    def render(n: Node) -> str:
        if isinstance(n, Var):
            return var(n.name)
        if isinstance(n, Literal):
            return literal(n.value)
        if isinstance(n, Not):
            if not_ is not None:
                return not_(render(n.operand), n.operand)
            return f"not {wrap(n.operand, 4)}"
        if isinstance(n, Compare):
            left, right = wrap(n.left, 4), wrap(n.right, 4)
            if compare_ is not None:
                custom = compare_(n, left, right)
                if custom is not None:
                    return custom
            return f"{left} {op(n.op)} {right}"
        if isinstance(n, And):
            return f"{wrap(n.left, 2)} {and_} {wrap(n.right, 3)}"
        if isinstance(n, Or):
            return f"{wrap(n.left, 1)} {or_} {wrap(n.right, 2)}"
        raise TypeError(n)  # pragma: no cover

    return render(node)


def tree_json(node: Node) -> list:
    """A tree as JSON-ready nested lists: ["var", name], ["lit", value], ["not", x], ["cmp", op, a, b],
    ["and", a, b], ["or", a, b]. The browser evaluates exactly this (app/static/js/survey.js)."""
    if isinstance(node, Var):
        return ["var", node.name]
    if isinstance(node, Literal):
        return ["lit", node.value]
    if isinstance(node, Not):
        return ["not", tree_json(node.operand)]
    if isinstance(node, Compare):
        return ["cmp", node.op, tree_json(node.left), tree_json(node.right)]
    if isinstance(node, And):
        return ["and", tree_json(node.left), tree_json(node.right)]
    if isinstance(node, Or):
        return ["or", tree_json(node.left), tree_json(node.right)]
    raise TypeError(node)  # pragma: no cover


def to_source(node: Node) -> str:
    """Print a tree in our own syntax."""
    return unparse(node)


def canonical_expression(text: str) -> str:
    """Return the canonical form of an expression, or the text unchanged if it does not parse."""
    try:
        return parse_expression(text).canonical()
    except ExpressionError:
        return text

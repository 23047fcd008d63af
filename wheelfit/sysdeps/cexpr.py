"""A C preprocessor `#if` expression, evaluated for one library version (integers only).

Only what version guards use: integer literals, macros given as values, the file's own
`#define`s (expanded, a few levels deep), function-like macros given as Python functions,
`defined(X)`, and C's unary, arithmetic, shift, comparison and logical operators with C's
precedence. Anything else raises CExpressionError: the guard is then not judged.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

_TOKEN = re.compile(
    r"\s*(?:(0[xX][0-9a-fA-F]+|\d+)[uUlL]*|([A-Za-z_]\w*)|(<<|>>|<=|>=|==|!=|&&|\|\||[-+*/%()!~<>&|^,]))"
)
# binary operators, loosest first (C's precedence)
_LEVELS: list[dict[str, Callable[[int, int], int]]] = [
    {"||": lambda a, b: int(bool(a) or bool(b))},
    {"&&": lambda a, b: int(bool(a) and bool(b))},
    {"|": lambda a, b: a | b},
    {"^": lambda a, b: a ^ b},
    {"&": lambda a, b: a & b},
    {"==": lambda a, b: int(a == b), "!=": lambda a, b: int(a != b)},
    {
        "<": lambda a, b: int(a < b),
        "<=": lambda a, b: int(a <= b),
        ">": lambda a, b: int(a > b),
        ">=": lambda a, b: int(a >= b),
    },
    {"<<": lambda a, b: a << _shift(b), ">>": lambda a, b: a >> _shift(b)},
    {"+": lambda a, b: a + b, "-": lambda a, b: a - b},
    {"*": lambda a, b: a * b, "/": lambda a, b: _divide(a, b), "%": lambda a, b: a % b if b else 0},
]
_MAX_EXPANSIONS = 8
# An sdist is untrusted input: #defines that expand to each other many times over, deep
# parentheses or a huge shift must end in CExpressionError, not in a hang or a traceback.
MAX_TOKENS = 2000
MAX_DEPTH = 40  # parentheses; each costs about 12 Python frames
MAX_SHIFT = 64


class CExpressionError(ValueError):
    """The expression uses something this evaluator does not know."""


def _shift(b: int) -> int:
    if not 0 <= b <= MAX_SHIFT:
        raise CExpressionError(f"shift by {b}")
    return b


def _divide(a: int, b: int) -> int:
    if b == 0:
        raise CExpressionError("division by zero")
    return int(a / b)


def evaluate(
    expression: str,
    values: dict[str, int],
    defines: dict[str, str],
    functions: dict[str, Callable[..., int]],
) -> int:
    return evaluate_tokens(tokenize(expression, values, defines, functions), values, functions)


def tokenize(
    expression: str,
    names: Iterable[str],
    defines: dict[str, str],
    functions: Iterable[str],
) -> list[str]:
    """The expression's tokens, the file's #defines expanded (not ``names`` or ``functions``):
    done once per guard, then evaluated for as many versions as needed."""
    return _tokens(expression, defines, set(names) | set(functions), 0)


def evaluate_tokens(
    tokens: list[str], values: dict[str, int], functions: dict[str, Callable[..., int]]
) -> int:
    parser = _Parser(tokens, values, functions)
    try:
        result = parser.expression(0)
    except RecursionError as exc:  # a caller deep in its own stack: still no traceback
        raise CExpressionError("nested too deep") from exc
    if parser.position != len(tokens):
        raise CExpressionError(f"unexpected {tokens[parser.position]!r}")
    return result


def _tokens(text: str, defines: dict[str, str], known: set[str], depth: int) -> list[str]:
    tokens: list[str] = []
    position = 0
    text = text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise CExpressionError(f"cannot read {text[position:]!r}")
        position = match.end()
        number, name, operator = match.groups()
        if number:
            tokens.append(str(int(number, 16) if number[:2] in ("0x", "0X") else int(number)))
        elif name:
            after_defined = tokens[-2:] == ["defined", "("] or tokens[-1:] == ["defined"]
            if name in defines and name not in known and not after_defined:
                if depth >= _MAX_EXPANSIONS:
                    raise CExpressionError(f"{name} expands too deep")
                tokens += ["(", *_tokens(defines[name], defines, known, depth + 1), ")"]
                if len(tokens) > MAX_TOKENS:
                    raise CExpressionError("expands to too many tokens")
            else:
                tokens.append(name)
        else:
            tokens.append(operator)
        if len(tokens) > MAX_TOKENS:
            raise CExpressionError("too long")
    return tokens


class _Parser:
    def __init__(
        self, tokens: list[str], values: dict[str, int], functions: dict[str, Callable[..., int]]
    ) -> None:
        self.tokens = tokens
        self.values = values
        self.functions = functions
        self.position = 0
        self.depth = 0

    def _peek(self) -> str | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def _take(self, expected: str | None = None) -> str:
        token = self._peek()
        if token is None or (expected is not None and token != expected):
            raise CExpressionError(f"expected {expected or 'more'}, found {token!r}")
        self.position += 1
        return token

    def expression(self, level: int) -> int:
        if level == len(_LEVELS):
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise CExpressionError("nested too deep")
            try:
                return self._unary()
            finally:
                self.depth -= 1
        left = self.expression(level + 1)
        while (token := self._peek()) in _LEVELS[level]:
            self._take()
            right = self.expression(level + 1)
            left = _LEVELS[level][str(token)](left, right)
        return left

    def _unary(self) -> int:
        token = self._take()
        if token == "!":
            return int(not self._unary())
        if token == "-":
            return -self._unary()
        if token == "+":
            return self._unary()
        if token == "~":
            return ~self._unary()
        if token == "(":
            value = self.expression(0)
            self._take(")")
            return value
        if token.isdigit():
            return int(token)
        if token == "defined":
            parenthesised = self._peek() == "("
            if parenthesised:
                self._take("(")
            name = self._take()
            if parenthesised:
                self._take(")")
            return int(name in self.values or name in self.functions)
        if token in self.functions:
            self._take("(")
            arguments = [self.expression(0)]
            while self._peek() == ",":
                self._take(",")
                arguments.append(self.expression(0))
            self._take(")")
            return self.functions[token](*arguments)
        if token in self.values:
            return self.values[token]
        raise CExpressionError(f"unknown name {token!r}")

"""Does a setup.py go on without its C extensions when they fail to compile? Read with
``ast``, never run.

Two shapes are common. A ``build_ext`` subclass that catches the compiler's errors and only
prints a warning (zope.interface, zope.proxy): the build succeeds without a compiler, pure
Python. And environment switches read by setup.py (BTrees' ``PURE_PYTHON``, multidict's
``MULTIDICT_NO_EXTENSIONS``): without one set, a failed compile still fails the build under
pip (BTrees re-raises when it builds a wheel, multidict never catches), so they are reported
as what to set, not as a fallback.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from .pysource import parse_python, remembered_by_source

# what setuptools and distutils raise when the compiler is missing or fails
_COMPILER_ERRORS = {
    "CCompilerError",
    "CompileError",
    "LinkError",
    "DistutilsExecError",
    "DistutilsPlatformError",
    "ExecError",
    "PlatformError",
    "OSError",
    "EnvironmentError",
    "IOError",
    "Exception",
    "BaseException",
}
_BUILD_CALLS = {"run", "build_extension", "build_extensions"}
# environment variables whose documented meaning is "build without the C extensions"
_PURE_SWITCH = re.compile(
    r"^\w*(PURE_?PYTHON|NO_?EXTENSIONS?|NO_?C_?EXT(ENSIONS?)?|DISABLE_?C?_?EXT(ENSIONS?)?|"
    r"WITHOUT_?C?_?EXT(ENSIONS?)?|NO_?SPEEDUPS?|DISABLE_?SPEEDUPS?)$"
)


@dataclass(frozen=True)
class Fallback:
    automatic: bool  # a failed compile is caught and the build goes on without it
    switches: tuple[str, ...]  # environment variables that make the build pure Python


@remembered_by_source  # asked by several stages and once per image
def read_fallback(setup_py: str) -> Fallback:
    tree = parse_python(setup_py)
    if tree is None:
        return Fallback(False, ())
    automatic = any(_swallows_compiler_errors(node) for node in ast.walk(tree))
    return Fallback(automatic, tuple(sorted(_switches(tree))))


def _swallows_compiler_errors(node: ast.AST) -> bool:
    """A build_ext subclass whose build step catches a compiler error without raising."""
    if not isinstance(node, ast.ClassDef) or not any(
        _last_name(base).endswith("build_ext") for base in node.bases
    ):
        return False
    methods = {f.name: f for f in node.body if isinstance(f, ast.FunctionDef)}
    for method in methods.values():
        for inner in ast.walk(method):
            if not isinstance(inner, ast.Try) or not _calls_build(inner.body):
                continue
            for handler in inner.handlers:
                if _catches_compiler_error(handler) and not _raises(handler.body, methods):
                    return True
    return False


def _last_name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _calls_build(body: list[ast.stmt]) -> bool:
    return any(
        isinstance(node, ast.Call) and _last_name(node.func) in _BUILD_CALLS
        for statement in body
        for node in ast.walk(statement)
    )


def _catches_compiler_error(handler: ast.ExceptHandler) -> bool:
    if handler.type is None:
        return True
    caught = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(_last_name(kind) in _COMPILER_ERRORS for kind in caught)


def _raises(
    body: list[ast.stmt], methods: dict[str, ast.FunctionDef], seen: frozenset[str] = frozenset()
) -> bool:
    """Whether the handler raises, directly or through a method of its class (one that
    raises only under a condition still counts: wheelfit does not guess the condition)."""
    for statement in body:
        for node in ast.walk(statement):
            if isinstance(node, ast.Raise):
                return True
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "self"
                and node.func.attr in methods
                and node.func.attr not in seen
                and _raises(methods[node.func.attr].body, methods, seen | {node.func.attr})
            ):
                return True
    return False


def _switches(tree: ast.AST) -> set[str]:
    """Environment variables setup.py reads whose names say "no C extensions"."""
    found = set()
    for node in ast.walk(tree):
        name = None
        if isinstance(node, ast.Call) and _last_name(node.func) in ("get", "getenv") and node.args:
            name = _constant(node.args[0])
        elif (
            isinstance(node, ast.Subscript)
            and isinstance(node.ctx, ast.Load)  # autobahn sets PYUBJSON_NO_EXTENSION for others
            and _last_name(node.value) == "environ"
        ):
            name = _constant(node.slice)
        elif isinstance(node, ast.Compare) and any(
            _last_name(c) == "environ" for c in node.comparators
        ):
            name = _constant(node.left)
        if name and _PURE_SWITCH.match(name):
            found.add(name)
    return found


def _constant(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None

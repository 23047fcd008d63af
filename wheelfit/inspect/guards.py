"""C preprocessor guards that stop a build on a library's version, read statically.

    #define MIN_RD_KAFKA_VERSION 0x021000ff
    #if RD_KAFKA_VERSION < MIN_RD_KAFKA_VERSION
    #error "confluent-kafka-python requires librdkafka v2.16.0 or later"
    #endif

A guard is an `#if`/`#elif` (or the `#else` of an `#if`) whose branch reaches `#error` and
whose condition names a version macro. Which library a macro belongs to, and what the image
has, is for the sysdeps stage: here only the condition, where it is, and the file's own
object-like `#define`s of integers that the condition uses are kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MAX_GUARDS = 50
MAX_CONDITION = 1000  # characters: longer conditions (and #defines) are not kept
_DIRECTIVE = re.compile(r"^\s*#\s*(\w+)\s*(.*)$")
_VERSIONISH = re.compile(r"VERSION|_VER_|_VERS_")
_DEFINE = re.compile(r"^([A-Za-z_]\w*)\s+(.+?)\s*$")
_IDENTIFIER = re.compile(r"[A-Za-z_]\w*")
_COMMENT = re.compile(r"/\*.*?\*/|//.*$")


@dataclass
class _Branch:
    line: int
    condition: str | None  # a version condition for this branch, else None
    first_condition: str | None  # the #if's own, for its #else
    had_elif: bool = False


@dataclass
class VersionGuard:
    path: str
    line: int
    condition: str
    message: str
    defines: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        return dict(self.__dict__)


def find_version_guards(path: str, text: str) -> list[VersionGuard]:
    """Every version guard ending in #error in ``text`` (a C/C++ source or header)."""
    defines: dict[str, str] = {}
    stack: list[_Branch] = []
    guards: list[VersionGuard] = []
    seen: set[int] = set()
    for number, directive, rest in _directives(text):
        if directive in ("if", "ifdef", "ifndef"):
            versionish = len(rest) <= MAX_CONDITION and _VERSIONISH.search(rest)
            condition = rest if directive == "if" and versionish else None
            stack.append(_Branch(number, condition, condition))
        elif not stack and directive in ("elif", "else", "endif"):
            continue  # an unbalanced file (the scan may stop mid-file): ignore
        elif directive == "elif":
            top = stack[-1]
            top.had_elif = True
            top.line = number
            versionish = len(rest) <= MAX_CONDITION and _VERSIONISH.search(rest)
            top.condition = rest if versionish else None
        elif directive == "else":
            top = stack[-1]
            first = top.first_condition
            top.line = number
            top.condition = f"!({first})" if first and not top.had_elif else None
        elif directive == "endif":
            stack.pop()
        elif directive == "define":
            match = _DEFINE.match(rest)
            if match and "(" not in match[1] and len(match[2]) <= MAX_CONDITION:
                defines[match[1]] = match[2]
        elif directive == "error":
            branch = next((b for b in reversed(stack) if b.condition), None)
            if branch is None or branch.line in seen or len(guards) >= MAX_GUARDS:
                continue
            seen.add(branch.line)
            assert branch.condition is not None
            used = _used_defines(branch.condition, defines)
            message = rest.strip().strip('"')[:300]
            guards.append(VersionGuard(path, branch.line, branch.condition, message, used))
    return guards


def _directives(text: str) -> list[tuple[int, str, str]]:
    """(line number, directive, rest) with continuation lines joined and comments dropped."""
    found = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        start = index
        line = lines[index]
        while line.endswith("\\") and index + 1 < len(lines):
            index += 1
            line = line[:-1] + " " + lines[index]
        index += 1
        match = _DIRECTIVE.match(line)
        if match:
            rest = _COMMENT.sub("", match[2]).strip()
            if match[1] == "error":
                rest = match[2].strip()
            found.append((start + 1, match[1], " ".join(rest.split())))
    return found


def _used_defines(condition: str, defines: dict[str, str]) -> dict[str, str]:
    """The file's #defines the condition names, and those they name in turn."""
    used: dict[str, str] = {}
    pending = _IDENTIFIER.findall(condition)
    while pending and len(used) < 50:
        name = pending.pop()
        if name in defines and name not in used:
            used[name] = defines[name]
            pending += _IDENTIFIER.findall(defines[name])
    return used

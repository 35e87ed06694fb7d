"""TOML text from the parsed form of an experiment file (tomllib reads, nothing writes).

Design: a sweep point is the experiment file with some values replaced; writing it
back as TOML gives each point an ordinary experiment.toml that `hvlab run`, `hvlab
check` and `hvlab report` read like any other. Only what experiment files hold is
written: strings, integers, finite floats, booleans, arrays of those (nested), tables
and arrays of tables ([[domain]]). Scalars first, then sub-tables, as TOML requires.

Limitations: comments and the original layout are lost (the sweep folder keeps the
original file as sweep.toml); dates and times are not supported (never used here).
"""
from __future__ import annotations

import json
import math
import re

_BARE = re.compile(r"[A-Za-z0-9_-]+")


class TomlWriteError(ValueError):
    """A value that has no TOML spelling here (a bug in the caller, or NaN)."""


def key(k: str) -> str:
    return k if _BARE.fullmatch(k) else json.dumps(k)


def value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            raise TomlWriteError(f"{v} has no TOML spelling here")
        r = repr(v)
        return r if any(c in r for c in ".en") else r + ".0"
    if isinstance(v, str):
        # JSON's escapes (\" \\ \n \uXXXX ...) are all valid in a TOML basic string.
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{key(k)} = {value(x)}" for k, x in v.items()) + "}"
    raise TomlWriteError(f"{type(v).__name__} {v!r} has no TOML spelling here")


def _is_table_array(v) -> bool:
    return isinstance(v, list) and bool(v) and all(isinstance(x, dict) for x in v)


def _table(out: list[str], path: list[str], t: dict) -> None:
    for k, v in t.items():
        if not isinstance(v, dict) and not _is_table_array(v):
            out.append(f"{key(k)} = {value(v)}")
    for k, v in t.items():
        if isinstance(v, dict):
            out.append(f"\n[{'.'.join(key(p) for p in path + [k])}]")
            _table(out, path + [k], v)
        elif _is_table_array(v):
            for item in v:
                out.append(f"\n[[{'.'.join(key(p) for p in path + [k])}]]")
                _table(out, path + [k], item)


def dumps(doc: dict) -> str:
    out: list[str] = []
    _table(out, [], doc)
    return "\n".join(out).lstrip("\n") + "\n"

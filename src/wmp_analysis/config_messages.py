"""Where a config key is in the YAML, and schema errors worded as one ConfigError.

:func:`key_lines` maps every key path to its line, :func:`key_path` writes a path as
``survey.min_base`` / ``districts[2]``, and :func:`raise_validation` turns pydantic's
errors into the first problem in the file, with the nearest valid key for an unknown one.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, get_args

import yaml
from pydantic import BaseModel, ValidationError

from wmp_analysis.config_models import ConfigSchema
from wmp_analysis.errors import ConfigError, shorten
from wmp_analysis.names import suggestions


def key_lines(node: yaml.Node | None) -> dict[tuple, int]:
    """1-based line of every key path in a composed YAML document.

    ``{("survey", "min_base"): 23, ("districts", 2): 9, ...}``: for a mapping entry
    the line of its key, for a list item the line of the item.
    """
    out: dict[tuple, int] = {}

    def walk(n: yaml.Node, path: tuple) -> None:
        if isinstance(n, yaml.MappingNode):
            for k, v in n.value:
                key = k.value if isinstance(k, yaml.ScalarNode) else str(k.start_mark)
                out[path + (key,)] = k.start_mark.line + 1
                walk(v, path + (key,))
        elif isinstance(n, yaml.SequenceNode):
            for i, v in enumerate(n.value):
                out[path + (i,)] = v.start_mark.line + 1
                walk(v, path + (i,))

    if node is not None:
        out[()] = node.start_mark.line + 1
        walk(node, ())
    return out


def line_of(lines: dict[tuple, int], path: tuple) -> int | None:
    """Line of *path*, or of its nearest ancestor that is in the file."""
    for k in range(len(path), 0, -1):
        if path[:k] in lines:
            return lines[path[:k]]
    return None


def key_path(loc: tuple) -> str:
    """``("survey", "min_base")`` -> ``"survey.min_base"``; ``("districts", 2)`` -> ``"districts[2]"``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text


def _model_of(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        m = _model_of(arg)
        if m is not None:
            return m
    return None


def _field(loc: tuple) -> tuple[type[BaseModel] | None, Any]:
    """(model holding the last key of *loc*, its FieldInfo or None)."""
    model: type[BaseModel] | None = ConfigSchema
    info = None
    for i, part in enumerate(loc):
        if model is None or isinstance(part, int):
            continue
        info = model.model_fields.get(str(part))
        if info is None:
            return (model if i == len(loc) - 1 else None), None
        if i < len(loc) - 1:
            model = _model_of(info.annotation)  # a list of mappings (assessments): its item model
    return model, info


def _expected(loc: tuple) -> str | None:
    """What the key at *loc* expects: its field's description (a list item: a name)."""
    if loc and isinstance(loc[-1], int):
        return "a name (text)"
    _, info = _field(loc)
    return info.description if info is not None else None


def _message(err: dict, loc: tuple) -> tuple[str, str | None]:
    kind = err["type"]
    where = key_path(loc)
    if kind == "extra_forbidden":
        model, _ = _field(loc)
        valid = sorted(model.model_fields) if model is not None else []
        near = suggestions(str(loc[-1]), valid, n=1)
        hint = f"; did you mean {near[0]!r}?" if near else ""
        return (
            f"unknown key {shorten(str(loc[-1]))}{hint}",
            "one of the keys " + ", ".join(valid) if valid else None,
        )
    if kind == "missing":
        return f"required key {where!r} missing", _expected(loc)
    value = err.get("input")
    text = err.get("msg", "invalid value")
    text = re.sub(r"^Value error, ", "", text)
    return f"{where} = {shorten(value)}: {text}", _expected(loc)


def raise_validation(exc: ValidationError, path: Path, lines: dict[tuple, int]) -> None:
    """Turn pydantic's errors into one ConfigError (the first in the file; the others listed)."""
    errs = []
    for err in exc.errors():
        loc = tuple(
            p
            for p in err["loc"]
            if isinstance(p, int) or p not in ("function-after", "function-before")
        )
        errs.append((line_of(lines, loc) or 10**9, loc, err))
    errs.sort(key=lambda t: (t[0], key_path(t[1])))
    line, loc, err = errs[0]
    message, expected = _message(err, loc)
    if len(errs) > 1:
        more = [
            f"{key_path(lc)} (line {ln})" if ln < 10**9 else key_path(lc) for ln, lc, _ in errs[1:6]
        ]
        message += f" [{len(errs) - 1} more problem(s): {', '.join(more)}{' ...' if len(errs) > 6 else ''}]"
    raise ConfigError(
        message,
        path=path,
        row=None if line >= 10**9 else line,
        field=key_path(loc) or None,
        expected=expected,
    ) from None

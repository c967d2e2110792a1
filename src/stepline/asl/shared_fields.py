"""The fields many states share, checked and compiled: paths, payload templates, JSONata, Assign.

The base of the parser's class (:class:`stepline.asl.parser._Parser`): every method reports
through ``self.diags`` and returns the compiled field (a getter, a builder) or ``None`` after
a diagnostic, so the state that holds it is not built. What each returns:

- ``InputPath``/``OutputPath`` (:meth:`_io_path`): a getter, ``None`` for ``$``, or
  :data:`~stepline.asl.model.DISCARD` for JSON null;
- ``ResultPath`` (:meth:`_result_path`): the keys it sets, ``()`` for ``$``, or ``DISCARD``;
- ``Parameters``, ``ResultSelector``, ``ItemSelector`` (:meth:`_template`) and JSONPath
  ``Assign``: a payload builder; a JSONata field (:meth:`_jsonata`): a JSONata builder;
- a number given literally, by a JSONata expression or by ``<name>Path``
  (:meth:`_number_field`): the model's fields for it, ``{"timeout_seconds": 30}``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from . import wording
from .diagnostics import NO_DOLLAR, Diagnostics, at
from .intrinsics import is_intrinsic
from .jsonata import is_expression
from .jsonpath import PathSyntaxError, compile_getter, compile_reference
from .model import DISCARD, JSONATA, JSONPATH, Builder, Getter, JsonataBuilder, State
from .templates import compile_jsonata, compile_payload
from .values import JSON

_VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

#: what the method of a state's type returns: the model class (None when the state is too
#: broken to build) and its fields beyond those every state has
ModelFields = tuple[type[State] | None, dict[str, Any]]


class SharedFields:
    """Checks of the fields that more than one state type (or a retrier, a catcher) has."""

    diags: Diagnostics
    #: the same list as ``diags``, under the code INVALID_JSONATA_EXPRESSION
    jsonata_diags: Diagnostics

    # ------------------------------------------------------------------ any object

    def _unknown(self, d: dict[str, JSON], allowed: set[str], loc: str) -> None:
        for key in d:
            if key not in allowed:
                self.diags.error(loc, wording.not_supported(key))

    def _comment(self, d: dict[str, JSON], loc: str) -> None:
        if "Comment" in d and not isinstance(d["Comment"], str):
            self.diags.error(at(loc, "Comment"),
                             f"The value for the field 'Comment' must be a STRING, not {wording.show(d['Comment'])}")

    # ------------------------------------------------------------------ paths

    def _io_path(self, d: dict[str, JSON], field: str, loc: str) -> tuple[Any, str | None]:
        if field not in d:
            return None, "$"
        text = d[field]
        if text is None:
            return DISCARD, None
        getter = self._path(text, at(loc, field), field)
        if text == "$":
            return None, "$"
        return getter, text

    def _path(self, text: JSON, loc: str, field: str, *, reference: bool = False,
              context: bool = True) -> Getter | None:
        """A JSONPath field (``$``, ``$$`` or ``$var`` root): a getter, or None after a diagnostic.
        A *reference* path selects one value (names and indexes only); ``context=False``
        refuses the context object, as AWS does for the Map's number ``...Path`` fields."""
        if not isinstance(text, str):
            self.diags.error(loc, f"The value for the field '{field}' must be a STRING that contains a JSONPath, "
                                  f"not {wording.show(text)}")
            return None
        try:
            ref = compile_reference(text)
        except PathSyntaxError as e:
            self.diags.error(loc, f"The value for the field '{field}' must be a valid JSONPath: {e}")
            return None
        if (reference and not ref.path.definite) or (not context and ref.root == "context"):
            self.diags.error(loc, f"The value for the field '{field}' must be a Reference Path "
                                  f"(names and indexes only{'' if context else ', not the context object'}): "
                                  f"{wording.show(text)}")
            return None
        return compile_getter(text)

    def _result_path(self, d: dict[str, JSON], loc: str) -> tuple[Any, str | None]:
        if "ResultPath" not in d:
            return (), "$"
        text = d["ResultPath"]
        if text is None:
            return DISCARD, None
        where = at(loc, "ResultPath")
        if not isinstance(text, str):
            self.diags.error(where, f"The value for the field 'ResultPath' must be a STRING that contains a JSONPath, "
                                    f"not {wording.show(text)}")
            return (), "$"
        try:
            ref = compile_reference(text)
        except PathSyntaxError as e:
            self.diags.error(where, f"The value for the field 'ResultPath' must be a valid JSONPath: {e}")
            return (), "$"
        if ref.root != "input" or not ref.path.definite:
            self.diags.error(where, "The value for the field 'ResultPath' must be a Reference Path: '$' followed by "
                                    f"field names and array indexes only, not {wording.show(text)}")
            return (), "$"
        return ref.path.keys, text

    # ------------------------------------------------------------------ payloads and JSONata

    def _jsonata(self, value: JSON, field: str, loc: str) -> JsonataBuilder:
        """A JSONata-mode field: any ``{% %}`` string inside is an expression."""
        return compile_jsonata(value, field, self.jsonata_diags, loc)

    def _assign(self, value: JSON, loc: str, ql: str) -> Builder | JsonataBuilder | None:
        if not isinstance(value, dict):
            self.diags.error(loc, f"The value for the field 'Assign' must be an OBJECT, not {wording.show(value)}")
            return None
        for key in value:
            var = key[:-2] if ql == JSONPATH and key.endswith(".$") else key
            if not _VARIABLE_NAME.fullmatch(var) or len(var) > 80:
                self.diags.error(at(loc, key), f"'{var}' is not a valid variable name: use letters, digits and '_', "
                                               "not starting with a digit, at most 80 characters")
            elif var == "states":
                self.diags.error(at(loc, key), "'states' is a reserved variable name")
        if ql == JSONPATH:
            self._warn_no_dollar(value, loc)
            return compile_payload(value, loc, self.diags)
        return self._jsonata(value, "Assign", loc)

    def _template(self, d: dict[str, JSON], field: str, loc: str) -> Builder | None:
        """A JSONPath payload template (Parameters, ResultSelector, ItemSelector)."""
        if field not in d:
            return None
        value = d[field]
        if not isinstance(value, (dict, list)) and field != "Parameters":
            self.diags.error(at(loc, field),
                             f"The value for the field '{field}' must be an OBJECT, not {wording.show(value)}")
            return None
        self._warn_no_dollar(value, at(loc, field))
        return compile_payload(value, at(loc, field), self.diags)

    def _warn_no_dollar(self, value: JSON, loc: str) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                if not k.endswith(".$") and isinstance(v, str) and looks_like_path(v):
                    self.diags.warning(at(loc, k), f"The value of the field '{k}' looks like a JSONPath or an "
                                                   "intrinsic function, but the field name does not end with '.$'",
                                       NO_DOLLAR)
                self._warn_no_dollar(v, at(loc, k))
        elif isinstance(value, list):
            for i, v in enumerate(value):
                self._warn_no_dollar(v, at(loc, i))

    # ------------------------------------------------------------------ numbers

    def _number_field(self, d: dict[str, JSON], name: str, loc: str, ql: str, ok: Callable[[JSON], bool],
                      what: str, *, reference: bool = False, context: bool = True) -> dict[str, Any]:
        """A number given literally, by a JSONata expression, or (JSONPath) by ``<name>Path``."""
        key, path_name = wording.snake(name), name + "Path"
        out: dict[str, Any] = {}
        if name in d and path_name in d and ql == JSONPATH:
            self.diags.error(loc, wording.only_one(name, path_name))
        if name in d:
            value = d[name]
            if ql == JSONATA and is_expression(value):
                out[key + "_expr"] = self._jsonata(value, name, at(loc, name))
            elif not ok(value):
                self.diags.error(at(loc, name),
                                 f"The value for the field '{name}' must be {what}, not {wording.show(value)}")
            else:
                out[key] = value
        if path_name in d and ql == JSONPATH:
            out[key + "_path"] = self._path(d[path_name], at(loc, path_name), path_name, reference=reference,
                                            context=context)
        return out


def looks_like_path(value: str) -> bool:
    """``$``, ``$.x``, ``$[0]``, ``$$.x`` or an intrinsic call: a value meant to be evaluated."""
    return value == "$" or value.startswith(("$.", "$[", "$$.")) or is_intrinsic(value)

"""The ``Retry`` and ``Catch`` fields of Task, Parallel and Map states: retriers and catchers.

Part of the parser's class (:class:`stepline.asl.parser._Parser`), reporting through
``self.diags`` like the rest of it. A retrier or a catcher that is not an object is left
out after its diagnostic; any other mistake is reported and the rest of it still checked.
``ErrorEquals`` must be a non-empty array of error names; ``States.ALL`` must stand alone
in it and only in the last retrier (or catcher). A name starting with ``States.`` need not be
a predefined error: AWS deploys definitions that catch their own (``States.QuorumMet``), as it
lets a Fail state raise them.
"""

from __future__ import annotations

from typing import Any

from . import errors, wording
from .diagnostics import at
from .model import JSONATA, JSONPATH, Catcher, Retrier
from .shared_fields import SharedFields
from .values import JSON

MAX_INT = wording.MAX_INT
_RETRIER_FIELDS = {"ErrorEquals", "IntervalSeconds", "MaxAttempts", "BackoffRate", "MaxDelaySeconds",
                   "JitterStrategy", "Comment"}
_CATCHER_FIELDS = {JSONPATH: {"ErrorEquals", "Next", "Comment", "Assign", "ResultPath"},
                   JSONATA: {"ErrorEquals", "Next", "Comment", "Assign", "Output"}}


class RetryCatch(SharedFields):
    """Checks and compiles a state's retriers and catchers."""

    def _retriers(self, d: dict[str, JSON], loc: str) -> tuple[Retrier, ...]:
        raw = d.get("Retry")
        if raw is None:
            return ()
        if not isinstance(raw, list):
            self.diags.error(at(loc, "Retry"),
                             f"The value for the field 'Retry' must be an array, not {wording.show(raw)}")
            return ()
        out = []
        for i, r in enumerate(raw):
            rloc = at(loc, "Retry", i)
            if not isinstance(r, dict):
                self.diags.error(rloc, f"A retrier must be an OBJECT, not {wording.show(r)}")
                continue
            self._unknown(r, _RETRIER_FIELDS, rloc)
            self._comment(r, rloc)
            kw: dict[str, Any] = {"error_equals": self._error_equals(r, rloc, last=i == len(raw) - 1, what="retrier")}
            for field, key, ok, what in (
                ("IntervalSeconds", "interval_seconds", wording.positive_int,
                 f"a positive integer (at most {MAX_INT})"),
                ("MaxAttempts", "max_attempts", wording.nonneg_int, f"a non-negative integer (at most {MAX_INT})"),
                ("BackoffRate", "backoff_rate", lambda v: wording.number(v) and 1.0 <= v <= MAX_INT,
                 "a number greater than or equal to 1.0"),
                ("MaxDelaySeconds", "max_delay_seconds", wording.positive_int,
                 f"a positive integer (at most {MAX_INT})"),
                ("JitterStrategy", "jitter", lambda v: v in ("FULL", "NONE"), "one of [FULL, NONE]"),
            ):
                if field in r:
                    if ok(r[field]):
                        kw[key] = float(r[field]) if field == "BackoffRate" else r[field]
                    else:
                        self.diags.error(at(rloc, field), f"The value for the field '{field}' must be {what}, "
                                                          f"not {wording.show(r[field])}")
            out.append(Retrier(**kw))
        return tuple(out)

    def _catchers(self, d: dict[str, JSON], loc: str, ql: str) -> tuple[Catcher, ...]:
        raw = d.get("Catch")
        if raw is None:
            return ()
        if not isinstance(raw, list):
            self.diags.error(at(loc, "Catch"),
                             f"The value for the field 'Catch' must be an array, not {wording.show(raw)}")
            return ()
        out = []
        for i, c in enumerate(raw):
            cloc = at(loc, "Catch", i)
            if not isinstance(c, dict):
                self.diags.error(cloc, f"A catcher must be an OBJECT, not {wording.show(c)}")
                continue
            for key in c:
                if key not in _CATCHER_FIELDS[ql]:
                    self.diags.error(cloc, wording.wrong_language(ql, key) if key in _CATCHER_FIELDS[wording.other(ql)]
                                     else wording.not_supported(key))
            self._comment(c, cloc)
            names = self._error_equals(c, cloc, last=i == len(raw) - 1, what="catcher")
            nxt = c.get("Next")
            if "Next" not in c:
                self.diags.error(cloc, wording.required("Next"))
            elif not isinstance(nxt, str):
                self.diags.error(at(cloc, "Next"),
                                 f"The value for the field 'Next' must be a STRING, not {wording.show(nxt)}")
            kw: dict[str, Any] = {"error_equals": names, "next": nxt if isinstance(nxt, str) else ""}
            if ql == JSONPATH:
                kw["result_path"], kw["result_path_text"] = self._result_path(c, cloc)
            elif "Output" in c:
                kw["output"] = self._jsonata(c["Output"], "Output", at(cloc, "Output"))
            if "Assign" in c:
                kw["assign"] = self._assign(c["Assign"], at(cloc, "Assign"), ql)
            out.append(Catcher(**kw))
        return tuple(out)

    def _error_equals(self, r: dict[str, JSON], loc: str, last: bool, what: str) -> tuple[str, ...]:
        if "ErrorEquals" not in r:
            self.diags.error(loc, wording.required("ErrorEquals"))
            return ()
        names = r["ErrorEquals"]
        if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
            self.diags.error(at(loc, "ErrorEquals"), "The value for the field 'ErrorEquals' must be a non-empty array "
                                                     f"of strings, not {wording.show(names)}")
            return ()
        if errors.ALL in names:
            if len(names) != 1:
                self.diags.error(at(loc, "ErrorEquals"), f"{errors.ALL} must appear alone in 'ErrorEquals', not with "
                                                         f"{', '.join(n for n in names if n != errors.ALL)}")
            if not last:
                self.diags.error(at(loc, "ErrorEquals"), f"A {what} with {errors.ALL} must be the last {what}")
        return tuple(names)

"""The Map state's fields: ItemProcessor, ItemReader, ItemBatcher, ResultWriter, Label.

Part of the parser (a mixin of its class, kept apart for length): every method reports
through ``self.diags`` exactly like the rest of :mod:`.parser`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from . import wording
from .diagnostics import DUPLICATE_LABEL_NAME, INVALID_LABEL_NAME, INVALID_RESOURCE, at
from .errors import ITEM_READER_FAILED, RESULT_WRITER_FAILED
from .jsonata import expression_text, is_expression
from .model import JSONATA, JSONPATH, Batcher, MapState
from .resources import parse_resource
from .shared_fields import ModelFields
from .values import JSON

MAX_LABEL = 40
_LABEL_FORBIDDEN = re.compile(r"[\s<>{}\[\]?*\"#%\\^|~`$&,;:/\x00-\x1f\x7f-\x9f]")
_MAP_DISTRIBUTED_ONLY = ("ItemReader", "ItemBatcher", "ResultWriter", "Label")
#: ResultWriter.WriterConfig: its fields and their values (AWS docs, ResultWriter (Map))
_WRITER_CONFIG = {"Transformation": ("NONE", "COMPACT", "FLATTEN"), "OutputType": ("JSON", "JSONL")}


class MapFields:
    """The Map state, for :class:`stepline.asl.parser._Parser` (which provides ``diags``,
    ``program``, ``_template``, ``_jsonata``, ``_path``, ``_number_field``, ...)."""

    diags: Any
    labels: set[str]
    # provided by the parser
    program: Callable[..., Any]
    _unknown: Callable[..., None]
    _comment: Callable[..., None]
    _number_field: Callable[..., dict[str, Any]]
    _template: Callable[..., Any]
    _jsonata: Callable[..., Any]
    _path: Callable[..., Any]
    _result_path: Callable[..., Any]
    _retriers: Callable[..., Any]
    _catchers: Callable[..., Any]

    def _map(self, d: dict[str, JSON], loc: str, ql: str, common: dict[str, Any], depth: int) -> ModelFields:
        extra: dict[str, Any] = {}
        mode, execution_type = self._item_processor(d, loc, depth, extra)
        if mode == "INLINE":
            for key in _MAP_DISTRIBUTED_ONLY:
                if key in d:
                    self.diags.error(at(loc, key), f"The field '{key}' is only supported when the Map's "
                                                   "ProcessorConfig Mode is DISTRIBUTED")
        extra.update(mode=mode, execution_type=execution_type)
        self._item_reader(d, loc, ql)
        extra["item_batcher"] = self._item_batcher(d, loc, ql)
        self._result_writer(d, loc, ql)
        for key in ("ItemReader", "ResultWriter"):
            if key in d:
                extra[wording.snake(key)] = d[key]
        extra.update(writer_and_reader(d.get("ItemReader"), d.get("ResultWriter")))
        if ql == JSONPATH:
            if "ItemsPath" in d:
                extra["items_path"] = self._path(d["ItemsPath"], at(loc, "ItemsPath"), "ItemsPath", reference=True)
                extra["items_path_text"] = d["ItemsPath"]
            if "ItemSelector" in d and "Parameters" in d:
                self.diags.error(loc, wording.only_one("ItemSelector", "Parameters"))
            if "ItemSelector" in d or "Parameters" in d:
                key = "ItemSelector" if "ItemSelector" in d else "Parameters"
                extra["item_selector"] = self._template(d, key, loc)
                extra["legacy_parameters"] = key == "Parameters"
            extra["result_selector"] = self._template(d, "ResultSelector", loc)
            extra["result_path"], extra["result_path_text"] = self._result_path(d, loc)
        else:
            if "Items" in d:
                items = d["Items"]
                if not isinstance(items, list) and not is_expression(items):
                    self.diags.error(at(loc, "Items"), "The value for the field 'Items' must be an array or a JSONata "
                                                       f"expression, not {wording.show(items)}")
                extra["items"] = self._jsonata(items, "Items", at(loc, "Items"))
                extra["items_text"] = expression_text(items) if isinstance(items, str) else None
            if "ItemSelector" in d:
                extra["item_selector"] = self._jsonata(d["ItemSelector"], "ItemSelector", at(loc, "ItemSelector"))
        extra["path_texts"] = {k: d[k] for k in ("MaxConcurrencyPath", "ToleratedFailurePercentagePath",
                                                 "ToleratedFailureCountPath") if k in d and ql == JSONPATH}
        extra.update(self._number_field(d, "MaxConcurrency", loc, ql, wording.nonneg_int, "a non-negative integer",
                                        reference=True, context=False))
        extra.update(self._number_field(d, "ToleratedFailurePercentage", loc, ql,
                                        lambda v: wording.number(v) and 0 <= v <= 100,
                                        "a number between 0 and 100", reference=True, context=False))
        extra.update(self._number_field(d, "ToleratedFailureCount", loc, ql, wording.nonneg_int,
                                        "a non-negative integer", reference=True, context=False))
        if "Label" in d:
            extra["label"] = self._label(d["Label"], at(loc, "Label"))
        extra["retry"] = self._retriers(d, loc)
        extra["catch"] = self._catchers(d, loc, ql)
        return (MapState if "processor" in extra else None), extra

    def _item_processor(self, d: dict[str, JSON], loc: str, depth: int,
                        extra: dict[str, Any]) -> tuple[str, str | None]:
        """Check ItemProcessor (or the deprecated Iterator) and its ProcessorConfig; sets
        ``extra["processor"]`` when it compiles. Returns (mode, execution type)."""
        if "ItemProcessor" in d and "Iterator" in d:
            self.diags.error(loc, wording.only_one("ItemProcessor", "Iterator"))
        field = "ItemProcessor" if "ItemProcessor" in d else "Iterator"
        if field not in d:
            self.diags.error(loc, wording.required("ItemProcessor"))
            return "INLINE", None
        raw, ploc = d[field], at(loc, field)
        if not isinstance(raw, dict):
            self.diags.error(ploc, f"The value for the field '{field}' must be an OBJECT, not {wording.show(raw)}")
            return "INLINE", None
        self._unknown(raw, {"StartAt", "States", "Comment", "ProcessorConfig"}, ploc)
        self._comment(raw, ploc)
        mode, execution_type = "INLINE", None
        config = raw.get("ProcessorConfig", {})
        cloc = at(ploc, "ProcessorConfig")
        if not isinstance(config, dict):
            self.diags.error(cloc, "The value for the field 'ProcessorConfig' must be an OBJECT, "
                                   f"not {wording.show(config)}")
        else:
            self._unknown(config, {"Mode", "ExecutionType"}, cloc)
            mode = config.get("Mode", "INLINE")
            if mode not in ("INLINE", "DISTRIBUTED"):
                self.diags.error(at(cloc, "Mode"), "The value for the field 'Mode' must be one of "
                                                   f"[INLINE, DISTRIBUTED], not {wording.show(mode)}")
                mode = "INLINE"
            execution_type = config.get("ExecutionType")
            if mode == "DISTRIBUTED" and "ExecutionType" not in config:
                self.diags.error(cloc, wording.required("ExecutionType") + " (for a DISTRIBUTED Map)")
            elif "ExecutionType" in config and execution_type not in ("STANDARD", "EXPRESS"):
                self.diags.error(at(cloc, "ExecutionType"), "The value for the field 'ExecutionType' must be one of "
                                                            f"[STANDARD, EXPRESS], not {wording.show(execution_type)}")
            elif mode == "INLINE" and execution_type is not None:
                self.diags.error(at(cloc, "ExecutionType"), "The field 'ExecutionType' is only supported when the "
                                                            "Mode is DISTRIBUTED")
        processor = self.program(raw, ploc, depth + 1)
        if processor is not None:
            extra["processor"] = processor
        return mode, execution_type if isinstance(execution_type, str) else None

    def _item_reader(self, d: dict[str, JSON], loc: str, ql: str) -> None:
        raw = d.get("ItemReader")
        if raw is None:
            return
        rloc = at(loc, "ItemReader")
        if not self._sub_object(raw, rloc, "ItemReader", {"Resource", "ReaderConfig"}, ql):
            return
        if "Resource" not in raw:
            self.diags.error(rloc, wording.required("Resource"))
        elif not isinstance(raw["Resource"], str) or parse_resource(raw["Resource"]) is None:
            self.diags.error(at(rloc, "Resource"), f"The resource provided {wording.show(raw['Resource'])} is not "
                                                   "recognized. The value is not a valid resource ARN, or the resource "
                                                   "is not available in this region.", INVALID_RESOURCE)
        config = raw.get("ReaderConfig")
        if config is not None:
            cloc = at(rloc, "ReaderConfig")
            if not isinstance(config, dict):
                self.diags.error(cloc, "The value for the field 'ReaderConfig' must be an OBJECT, "
                                       f"not {wording.show(config)}")
            else:
                self._number_field(config, "MaxItems", cloc, ql, lambda v: wording.nonneg_int(v) and v <= 100_000_000,
                                   "an integer between 0 and 100000000", reference=True, context=False)
                if ql == JSONATA and "MaxItemsPath" in config:
                    self.diags.error(cloc, wording.wrong_language(JSONATA, "MaxItemsPath"))

    def _item_batcher(self, d: dict[str, JSON], loc: str, ql: str) -> Batcher | None:
        raw = d.get("ItemBatcher")
        if raw is None:
            return None
        bloc = at(loc, "ItemBatcher")
        fields = {"MaxItemsPerBatch", "MaxInputBytesPerBatch", "BatchInput"}
        paths = {"MaxItemsPerBatchPath", "MaxInputBytesPerBatchPath"}
        if not self._sub_object(raw, bloc, "ItemBatcher", fields | (paths if ql == JSONPATH else set()), ql,
                                other=paths if ql == JSONATA else set()):
            return None
        kw: dict[str, Any] = {}
        kw.update(self._number_field(raw, "MaxItemsPerBatch", bloc, ql, wording.positive_int, "a positive integer",
                                     reference=True, context=False))
        kw.update(self._number_field(raw, "MaxInputBytesPerBatch", bloc, ql,
                                     lambda v: wording.positive_int(v) and v <= 262144,
                                     "a positive integer (at most 262144)", reference=True, context=False))
        if not kw and not any(k in raw for k in fields | paths if k != "BatchInput"):
            self.diags.error(bloc, "An ItemBatcher needs one of [MaxItemsPerBatch, MaxItemsPerBatchPath, "
                                   "MaxInputBytesPerBatch, MaxInputBytesPerBatchPath]")
        if "BatchInput" in raw:
            kw["batch_input"] = (self._template(raw, "BatchInput", bloc) if ql == JSONPATH
                                 else self._jsonata(raw["BatchInput"], "BatchInput", at(bloc, "BatchInput")))
        return Batcher(**kw)

    def _result_writer(self, d: dict[str, JSON], loc: str, ql: str) -> None:
        raw = d.get("ResultWriter")
        if raw is None:
            return
        wloc = at(loc, "ResultWriter")
        if not self._sub_object(raw, wloc, "ResultWriter", {"Resource", "WriterConfig"}, ql):
            return
        if "Resource" in raw and (not isinstance(raw["Resource"], str) or parse_resource(raw["Resource"]) is None):
            self.diags.error(at(wloc, "Resource"), f"The resource provided {wording.show(raw['Resource'])} is not "
                                                   "recognized. The value is not a valid resource ARN, or the resource "
                                                   "is not available in this region.", INVALID_RESOURCE)
        if "Resource" not in raw and "WriterConfig" not in raw:
            # AWS docs, ResultWriter: "cannot be empty": WriterConfig, or Resource and Parameters, or all three
            self.diags.error(wloc, "A ResultWriter needs a WriterConfig, or a Resource and its parameters, or both")
        config = raw.get("WriterConfig")
        if config is None:
            return
        cloc = at(wloc, "WriterConfig")
        if not isinstance(config, dict):
            self.diags.error(cloc, "The value for the field 'WriterConfig' must be an OBJECT, "
                                   f"not {wording.show(config)}")
            return
        self._unknown(config, set(_WRITER_CONFIG), cloc)
        for key, allowed in _WRITER_CONFIG.items():
            if key in config and config[key] not in allowed:
                self.diags.error(at(cloc, key), f"The value for the field '{key}' must be one of "
                                                f"[{', '.join(allowed)}], not {wording.show(config[key])}")

    def _sub_object(self, raw: JSON, loc: str, field: str, fields: set[str], ql: str, *,
                    other: frozenset[str] | set[str] = frozenset()) -> bool:
        """An object inside a Map (ItemReader, ItemBatcher, ResultWriter): its fields, and its
        Parameters (JSONPath) or Arguments (JSONata). False when it is not an object."""
        if not isinstance(raw, dict):
            self.diags.error(loc, f"The value for the field '{field}' must be an OBJECT, not {wording.show(raw)}")
            return False
        own, foreign = ("Parameters", "Arguments") if ql == JSONPATH else ("Arguments", "Parameters")
        for key in raw:
            if key in other or (key == foreign and field != "ItemBatcher"):
                self.diags.error(loc, wording.wrong_language(ql, key))
            elif key not in fields and not (key == own and field != "ItemBatcher"):
                self.diags.error(loc, wording.not_supported(key))
        if own in raw and field != "ItemBatcher":
            if ql == JSONPATH:
                self._template(raw, "Parameters", loc)
            else:
                self._jsonata(raw["Arguments"], "Arguments", at(loc, "Arguments"))
        return True

    def _label(self, label: JSON, loc: str) -> str | None:
        if not isinstance(label, str) or not 0 < len(label) <= MAX_LABEL or _LABEL_FORBIDDEN.search(label):
            self.diags.error(loc, f"The value for the field 'Label' must be 1 to {MAX_LABEL} characters with no "
                                  f"whitespace or special characters, not {wording.show(label)}", INVALID_LABEL_NAME)
            return None
        if label in self.labels:
            self.diags.error(loc, f"Duplicate Label name: {label}", DUPLICATE_LABEL_NAME)
        self.labels.add(label)
        return label


def writer_and_reader(reader: JSON, writer: JSON) -> dict[str, Any]:
    """What a Map's ItemReader and ResultWriter make of it at run time: FLATTEN, or the error
    it fails with for what stepline cannot do yet (reading items from or writing results to
    S3), so that it is not silently run another way."""
    out: dict[str, Any] = {}
    config = writer.get("WriterConfig") if isinstance(writer, dict) else None
    transformation = config.get("Transformation") if isinstance(config, dict) else None
    if transformation == "FLATTEN":
        out["flatten_results"] = True
    if isinstance(reader, dict):
        out["unsupported"] = (ITEM_READER_FAILED, f"stepline cannot read items with an ItemReader (Resource "
                              f"{reader.get('Resource')!r}) yet: give the Map its items in the state input "
                              "(ItemsPath) or with Items")
    elif isinstance(writer, dict) and "Resource" in writer:
        out["unsupported"] = (RESULT_WRITER_FAILED, f"stepline cannot export results with a ResultWriter (Resource "
                              f"{writer.get('Resource')!r}) yet: leave out its Resource and Parameters to have the "
                              "results as the state's output")
    elif transformation == "NONE":
        out["unsupported"] = (RESULT_WRITER_FAILED, "stepline cannot add the child executions' metadata to their "
                              "outputs (ResultWriter Transformation NONE) yet: use COMPACT or FLATTEN")
    return out

"""Where executions live: the store contract and its SQLite and PostgreSQL implementations."""

from .base import (
    ActivityTask,
    CommitResult,
    ExecutionExists,
    ExecutionRecord,
    Resource,
    Signal,
    SignalKind,
    Store,
    StoredEvent,
    StoreError,
    StoreRefusedValue,
    Write,
    open_store,
    writable,
)

__all__ = ["Store", "StoreError", "StoreRefusedValue", "ExecutionExists", "ExecutionRecord", "StoredEvent", "Write",
           "CommitResult", "Resource", "Signal", "SignalKind", "ActivityTask", "open_store", "writable"]

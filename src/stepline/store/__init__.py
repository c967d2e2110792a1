"""Where executions live: the store contract and its SQLite and PostgreSQL implementations."""

from .base import (
    ActivityTask, CommitResult, EventRecord, ExecutionExists, ExecutionRecord, Resource, Signal, Store, StoreError,
    Write, open_store,
)

__all__ = ["Store", "StoreError", "ExecutionExists", "ExecutionRecord", "EventRecord", "Write", "CommitResult",
           "Resource", "Signal", "ActivityTask", "open_store"]

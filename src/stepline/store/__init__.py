"""Where executions live: the store contract and its SQLite and PostgreSQL implementations."""

from .base import (
    CommitResult, EventRecord, ExecutionExists, ExecutionRecord, Store, StoreError, Write, open_store,
)

__all__ = ["Store", "StoreError", "ExecutionExists", "ExecutionRecord", "EventRecord", "Write", "CommitResult",
           "open_store"]

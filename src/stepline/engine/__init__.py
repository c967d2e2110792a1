"""Drives executions: runs tasks, keeps timers, persists transitions."""

"""Lvyue: a workflow engine that supervises how customers fulfil their contracts."""

from __future__ import annotations

from pathlib import Path

__version__ = "0.1.0"

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
PROCESSES_DIR = PACKAGE_ROOT / "processes"
SCHEMAS_DIR = PACKAGE_ROOT / "schemas"
EXAMPLES_DIR = PACKAGE_ROOT / "examples"
CALENDARS_DIR = PACKAGE_ROOT / "calendars"

"""Perception tools: one interface (``Toolbox``), backends chosen by name, results cached on disk."""

from amuse_tasks.tools.backends import PRESETS, backends_tag, parse_backends
from amuse_tasks.tools.base import BackendUnavailable, ToolError
from amuse_tasks.tools.cache import ToolCache
from amuse_tasks.tools.clip import Clip
from amuse_tasks.tools.schemas import TOOL_SCHEMAS, schemas_for
from amuse_tasks.tools.toolbox import Toolbox

__all__ = ["BackendUnavailable", "Clip", "PRESETS", "TOOL_SCHEMAS", "ToolCache", "ToolError", "Toolbox",
           "backends_tag", "parse_backends", "schemas_for"]

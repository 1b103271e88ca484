"""The spell API, defined once: see `spec.py` for how, `table.py` for what."""

from .spec import Alias, ApiFunction, HandleType, Namespace, api
from .table import ALIASES, HANDLES, NAMESPACES, BoundApi, alias_functions, global_names, namespace

__all__ = ["ALIASES", "HANDLES", "NAMESPACES", "Alias", "ApiFunction", "BoundApi", "HandleType", "Namespace",
           "alias_functions", "api", "global_names", "namespace"]

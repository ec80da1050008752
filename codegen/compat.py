"""Public API: offline Avro compatibility checks, as users' scripts and tests import them.

``check_pair(reader, writer)`` and ``check_level(new, previous, level)`` return a
``CompatResult`` (``compatible``, ``messages``); ``LEVELS`` are the Confluent level names. A thin
re-export: the checker lives in `codegen.schema.compat`, beside the other schema analyses that
the generator, the workflow commands and the registry server share.
"""

from codegen.schema.compat import LEVELS, CompatResult, check_level, check_pair

__all__ = ["LEVELS", "CompatResult", "check_level", "check_pair"]

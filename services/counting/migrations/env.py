from counting.adapters.tables import metadata
from invariant_core.migrations import run_env

run_env(metadata)

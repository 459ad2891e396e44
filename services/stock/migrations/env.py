from invariant_core.migrations import run_env
from stock.adapters.tables import metadata

run_env(metadata)

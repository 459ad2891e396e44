from invariant_core.migrations import run_env
from orders.adapters.tables import metadata

run_env(metadata)

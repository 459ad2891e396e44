from invariant_core.migrations import run_env
from quality.adapters.tables import metadata

run_env(metadata)

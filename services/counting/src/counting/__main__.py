from counting.bootstrap import SPEC
from invariant_core.runtime import main

main(SPEC)

from invariant_core.runtime import main
from stock.bootstrap import SPEC

main(SPEC)

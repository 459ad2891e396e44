from invariant_core.runtime import main
from orders.bootstrap import SPEC

main(SPEC)

from invariant_core.runtime import main
from quality.bootstrap import SPEC

main(SPEC)

"""What every service's domain may use: errors, codes, exact decimals, quantities and limits.

Standard library only (an import contract holds it), so that a domain stays free of the
database, the network and the plumbing in invariant_core.
"""

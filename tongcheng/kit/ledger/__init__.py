"""A generic hash-chained ledger (LedgerEntry) for modules that must prove their records were never altered,
such as settlements; also the kit's app for append-only tables (its ``flush`` command)."""

"""Settlements of a zone's shared revenue (S-B5): computed by the engine as a background job, confirmed by
every party's finance bureau, final and hash-chained; statements in .xlsx and PDF; ``verify_ledger``."""

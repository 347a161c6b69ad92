"""The scope version: one database row whose token changes whenever what a scope is built from changes."""

"""Core services: the only code that changes core records. See services/base.py for the convention."""

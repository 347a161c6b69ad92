"""Attachments: files owned by any module's records, checked, stored privately, downloaded through access."""

"""Field limits of the cooperation records (S-B1, S-Z3/S-Z4), shared by the models, forms, API schemas and
imports, like core's ``limits.py`` (whose ``TextRule`` they use)."""

from __future__ import annotations

CODE_MAX = 60  # parks and projects: a slug naming the record in addresses and imports
NAME_MAX = 150
NAME_EN_MAX = 200
NOTE_MAX = 5000
REFERENCE_MAX = 120  # a voucher, agreement or resolution number (文号)
# Areas are whole square metres: exact, and a km² with two decimals is a whole number of them.
AREA_M2_MAX = 10**11  # 100,000 km², more than any zone
YEAR_MIN = 1990
YEAR_MAX = 2100

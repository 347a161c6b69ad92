"""The services of the cooperation system: the only code that writes its tables."""

"""The shared framework every app uses."""

"""Workflows for every module: state machines declared as data, the transition service with its log,
multi-party confirmations and gapless number sequences (see docs/kit/workflow.md)."""

"""Signals of the workflow kit, each sent only once the service's transaction has committed, so nothing
is announced for a change that was rolled back.

- ``transition_committed(sender=<model>, instance, log, actor, transition, recipients)``: a transition was
  taken. ``recipients`` are the users its declaration's ``notify`` names (empty without one).
- ``confirmation_completed(sender=<model>, instance, round)``: the last party of a round confirmed.
- ``confirmation_rejected(sender=<model>, instance, round, confirmation)``: a party refused."""

from django.dispatch import Signal

transition_committed = Signal()
confirmation_completed = Signal()
confirmation_rejected = Signal()

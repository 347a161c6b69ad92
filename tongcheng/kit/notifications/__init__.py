"""Notifications: written inside the service's transaction, shown in the app (the bell with the unread
count, the notifications page) and sent by e-mail once the transaction commits. See
docs/kit/notifications.md."""

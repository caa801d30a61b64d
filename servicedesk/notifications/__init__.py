"""Notifications: an outbox table written in the caller's transaction, sent by e-mail after.

`operations.enqueue` adds a message in the same transaction as the change that
caused it (flush only; the request or job commits once). `sender.send_pending`
delivers committed messages exactly once, even with several sender processes.
"""

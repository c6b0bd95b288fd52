"""Notifications: events recorded for organisations, delivered to the in-app inbox, by e-mail (SMTP)
and by signed webhooks. See docs/notifications.md."""

"""Use-cases of delivery: the outbox, endpoint management, sending webhooks and e-mails."""

"""The Webhooks page: endpoints, deliveries, failures and replay (admin manages)."""

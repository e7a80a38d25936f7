"""Reads of the subscriptions area: a change worked out, its preview, the customer page's
Subscriptions section."""

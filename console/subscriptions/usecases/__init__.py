"""Writes of the subscriptions area: changes, approvals, renewals, the ledger's months."""

"""Use-cases (writes) of the billing area: one transaction each, with the audit event."""

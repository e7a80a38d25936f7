"""Use-cases (writes) of the identity area: one transaction each, with the audit event."""

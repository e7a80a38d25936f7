"""Use-cases (writes) of the experiments area: one transaction each, with the audit event."""

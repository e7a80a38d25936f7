"""Pure rules of the identity area: no SQL, no Reflex, no I/O."""

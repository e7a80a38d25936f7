"""Use-cases (writes) of the billing area: one transaction each, with the audit event.

* ``bill_runs`` (with ``bill_run_inputs``, its bulk loads): start, release waves, run.
* ``invoices``: the reviewer's actions on an invoice; ``invoice_lines``: editing its lines.
* ``credit_notes``: create, approve and reject credit notes.
* ``usage_import`` (with ``usage_records``, reading and validating records): usage imports.
* ``numbering``: gap-free document numbers.
"""

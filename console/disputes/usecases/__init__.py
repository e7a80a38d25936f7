"""Use-cases (writes) of the disputes area: one transaction each, with the audit event.

Rules (the state machine is :mod:`console.disputes.domain.status`):

* Support users (``work_disputes``) open and work disputes (:mod:`.case_work`). A dispute names
  a customer and, usually, an issued/paid/uncollectible invoice with the disputed lines and
  amounts; an invoice has at most one dispute being worked at a time.
* The response is due ``policy_setting["dispute_sla_hours"][reason]`` hours after opening
  (or reopening).
* Every status change, assignment, note, evidence file, contact and credit decision writes a
  timeline entry *and* one audit event in the same transaction (:mod:`.case_steps`). Status
  changes and assignments are conditional updates on ``(id, version, status)``: a stale page is
  refused and nothing changes.
* Crediting (:mod:`.credits`) goes through :func:`console.billing.create_credit_note` with the
  dispute's id (never a second mechanism). A credit at or below the approval threshold is
  issued at once and resolves the dispute; above it, the credit note waits in
  ``pending_approval`` with its ``approval_request`` and the dispute stays in its working
  state until a finance user other than the proposer approves it (``approve_credit``, which
  calls ``approve_credit_note``: the proposer is refused there, on the server, in the approving
  transaction). While a credit is pending, the dispute can be neither rejected nor withdrawn
  nor credited again (:mod:`.resolutions`).
* A resolved or withdrawn dispute can be reopened within ``policy_setting
  ["dispute_reopen_days"]["days"]`` days (default 30).
* A pending credit note decided from the invoice page or the approvals inbox goes through the
  case when it belongs to one (:mod:`.credit_decisions`).
"""

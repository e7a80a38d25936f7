"""The shared SQL model: SQLModel tables only (no UI, no business rules).

Importing this package registers every table on ``SQLModel.metadata`` (Alembic's target).
"""

from models.audit import AuditEvent
from models.billing import (
    BillRun,
    CollectionNote,
    CreditNote,
    CreditNoteLine,
    Invoice,
    InvoiceLine,
    InvoiceNumberSequence,
    OutboxMessage,
    Payment,
    PaymentAttempt,
    TaxRate,
)
from models.catalog import (
    Approval,
    ApprovalRequest,
    BackgroundJob,
    ChangeRequest,
    Entitlement,
    Feature,
    Meter,
    Plan,
    PlanMigration,
    PlanVersion,
    Price,
    Product,
)
from models.customers import Customer, MrrMonthly, Subscription, SubscriptionEvent, SupportTicket
from models.delivery import MailDelivery, WebhookDelivery, WebhookEndpoint, WebhookEvent
from models.disputes import Dispute, DisputeEvent, DisputeEvidence, DisputeLine
from models.experiments import (
    Experiment,
    ExperimentArm,
    ExperimentAssignment,
    Rollout,
    RolloutMember,
    RolloutStage,
)
from models.identity import Invitation, LoginTicket, User, UserRole, UserSession
from models.jobs import JobRun, JobSchedule
from models.reference import FxRate, PolicySetting
from models.usage import UsageDaily, UsageEvent, UsageImport

__all__ = [
    "Approval", "ApprovalRequest", "AuditEvent", "BackgroundJob", "BillRun", "ChangeRequest",
    "CollectionNote", "CreditNote", "CreditNoteLine", "Customer", "Dispute", "DisputeEvent",
    "DisputeEvidence", "DisputeLine", "Entitlement", "Experiment", "ExperimentArm",
    "ExperimentAssignment", "Feature", "FxRate", "Invitation", "Invoice", "InvoiceLine",
    "InvoiceNumberSequence", "JobRun", "JobSchedule", "LoginTicket", "MailDelivery", "Meter",
    "MrrMonthly", "OutboxMessage", "Payment",
    "PaymentAttempt", "Plan", "PlanMigration", "PlanVersion", "PolicySetting", "Price", "Product",
    "Rollout", "RolloutMember", "RolloutStage", "Subscription", "SubscriptionEvent",
    "SupportTicket", "TaxRate", "UsageDaily", "UsageEvent", "UsageImport", "User", "UserRole",
    "UserSession", "WebhookDelivery", "WebhookEndpoint", "WebhookEvent",
]

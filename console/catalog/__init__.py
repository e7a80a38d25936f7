"""Catalog and pricing: products, plans, versioned rate cards, change requests with approval and
revenue-impact simulation, migrations."""

from console.catalog.domain.mrr import (
    subscription_mrr_minor,
)
from console.catalog.domain.ratecard import (
    REGIONS,
    SEGMENTS,
    PriceSpec,
)
from console.catalog.domain.status import (
    MigrationTiming,
    VersionStatus,
)
from console.catalog.queries.change_requests import (
    ApprovalRow,
    ChangeRequestRow,
    DiffRow,
    EntitlementDiffRow,
    change_request,
    change_request_rows,
    change_requests,
)
from console.catalog.queries.documents import (
    export_json,
    import_preview,
)
from console.catalog.queries.loaders import (
    get_version,
    load_policy,
)
from console.catalog.queries.migrations import (
    MOVABLE_STATUSES,
    MigrationLine,
    MigrationRow,
    MigrationTotal,
    migration_preview,
    migrations,
    preview_migration,
)
from console.catalog.queries.plans import (
    FeatureRow,
    MeterRow,
    PlanRow,
    ProductRow,
    VersionRow,
    catalog_reference,
    plan,
    plans,
)
from console.catalog.queries.rate_cards import (
    price_specs,
)
from console.catalog.queries.simulation import (
    rate_plan,
    run_simulation,
)
from console.catalog.queries.simulation_result import (
    ImpactRow,
    SimulationView,
    TotalRow,
)
from console.catalog.queries.versions import (
    EntitlementRow,
    PriceRow,
    price_rows,
    version,
)
from console.catalog.usecases.decisions import (
    approve_change,
    ask_for_changes,
    reject_change,
    withdraw_change,
)
from console.catalog.usecases.drafts import (
    discard,
    save_notes,
    start_draft,
    start_empty_draft,
)
from console.catalog.usecases.imports import (
    import_json,
)
from console.catalog.usecases.migrations import (
    cancel_scheduled_migration,
    run_due_migrations,
    schedule,
)
from console.catalog.usecases.price_input import (
    PriceInput,
    SamplePrice,
    price_preview,
    price_problem,
)
from console.catalog.usecases.publishing import (
    publish_change,
)
from console.catalog.usecases.rate_card_edits import (
    add_price_row,
    delete_entitlement,
    delete_price,
    save_entitlement,
    save_price,
)
from console.catalog.usecases.submissions import (
    rollback,
    submit,
)

__all__ = [
    "MOVABLE_STATUSES",
    "REGIONS",
    "SEGMENTS",
    "ApprovalRow",
    "ChangeRequestRow",
    "DiffRow",
    "EntitlementDiffRow",
    "EntitlementRow",
    "FeatureRow",
    "ImpactRow",
    "MeterRow",
    "MigrationLine",
    "MigrationRow",
    "MigrationTiming",
    "MigrationTotal",
    "PlanRow",
    "PriceInput",
    "PriceRow",
    "PriceSpec",
    "ProductRow",
    "SamplePrice",
    "SimulationView",
    "TotalRow",
    "VersionRow",
    "VersionStatus",
    "add_price_row",
    "approve_change",
    "ask_for_changes",
    "cancel_scheduled_migration",
    "catalog_reference",
    "change_request",
    "change_request_rows",
    "change_requests",
    "delete_entitlement",
    "delete_price",
    "discard",
    "export_json",
    "get_version",
    "import_json",
    "import_preview",
    "load_policy",
    "migration_preview",
    "migrations",
    "plan",
    "plans",
    "preview_migration",
    "price_preview",
    "price_problem",
    "price_rows",
    "price_specs",
    "publish_change",
    "rate_plan",
    "reject_change",
    "rollback",
    "run_due_migrations",
    "run_simulation",
    "save_entitlement",
    "save_notes",
    "save_price",
    "schedule",
    "start_draft",
    "start_empty_draft",
    "submit",
    "subscription_mrr_minor",
    "version",
    "withdraw_change",
]

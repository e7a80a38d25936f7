"""Word lists and geography for the demo company's customers (plain data, no logic)."""

from __future__ import annotations

NAME_FIRST: tuple[str, ...] = (
    "Acme", "Alder", "Alpine", "Amber", "Apex", "Arbor", "Argent", "Atlas", "Aurora", "Azure",
    "Beacon", "Birch", "Blue Harbor", "Bluebird", "Boreal", "Brightwater", "Cascade", "Cedar",
    "Clearpath", "Cobalt", "Copper", "Coral", "Crescent", "Crimson", "Crystal", "Delta",
    "Driftwood", "Eastgate", "Echo", "Ember", "Evergreen", "Falcon", "Fjord", "Foxglove",
    "Granite", "Greenfield", "Harbor", "Hawthorn", "Helix", "Highland", "Horizon", "Indigo",
    "Ironwood", "Juniper", "Keystone", "Lakeside", "Lantern", "Larkspur", "Lighthouse",
    "Lumen", "Maple", "Meridian", "Mistral", "Monarch", "Northwind", "Nova", "Oakridge",
    "Obsidian", "Orchid", "Pacific", "Pinnacle", "Polar", "Prairie", "Quartz", "Quill",
    "Redwood", "Ridgeline", "Riverbend", "Sable", "Saffron", "Sequoia", "Sierra", "Silverline",
    "Solstice", "Sparrow", "Spruce", "Starling", "Summit", "Sunridge", "Tidewater", "Timber",
    "Topaz", "Trident", "Tundra", "Upland", "Vanguard", "Velvet", "Verdant", "Vertex",
    "Willow", "Windward", "Zenith", "Zephyr",
)

NAME_SECOND: tuple[str, ...] = (
    "Analytics", "Bio", "Capital", "Cloud", "Commerce", "Consulting", "Data", "Designs",
    "Devices", "Dynamics", "Energy", "Engineering", "Foods", "Freight", "Games", "Health",
    "Holdings", "Industries", "Insights", "Labs", "Learning", "Logistics", "Media", "Medical",
    "Mobility", "Networks", "Outdoor", "Partners", "Payments", "Pharma", "Robotics", "Security",
    "Software", "Solutions", "Studios", "Systems", "Technologies", "Telecom", "Travel",
    "Ventures", "Works",
)

#: Legal-form suffix per country (an empty string adds none).
LEGAL_SUFFIX: dict[str, tuple[str, ...]] = {
    "US": ("Inc.", "LLC", "Corp.", ""),
    "CA": ("Inc.", "Ltd.", ""),
    "GB": ("Ltd", "plc", ""),
    "IE": ("Ltd", "DAC", ""),
    "DE": ("GmbH", "AG", ""),
    "FR": ("SAS", "SA", ""),
    "NL": ("B.V.", ""),
    "ES": ("S.L.", "S.A.", ""),
    "IT": ("S.r.l.", "S.p.A.", ""),
    "SE": ("AB", ""),
    "AU": ("Pty Ltd", ""),
    "SG": ("Pte. Ltd.", ""),
    "JP": ("K.K.", ""),
    "IN": ("Pvt. Ltd.", ""),
    "BR": ("Ltda.", "S.A.", ""),
    "MX": ("S.A. de C.V.", ""),
    "AR": ("S.R.L.", ""),
    "CL": ("SpA", ""),
}

TLD: dict[str, str] = {
    "US": "com", "CA": "ca", "GB": "co.uk", "IE": "ie", "DE": "de", "FR": "fr", "NL": "nl",
    "ES": "es", "IT": "it", "SE": "se", "AU": "com.au", "SG": "sg", "JP": "jp", "IN": "in",
    "BR": "com.br", "MX": "mx", "AR": "com.ar", "CL": "cl",
}

#: region -> (country, weight) pairs.
COUNTRIES: dict[str, tuple[tuple[str, int], ...]] = {
    "na": (("US", 85), ("CA", 15)),
    "emea": (("GB", 26), ("DE", 22), ("FR", 15), ("NL", 10), ("ES", 8), ("IE", 6), ("IT", 7),
             ("SE", 6)),
    "apac": (("AU", 35), ("SG", 25), ("JP", 20), ("IN", 20)),
    "latam": (("BR", 45), ("MX", 35), ("AR", 10), ("CL", 10)),
}

#: Billing currency per country (everyone else pays in USD).
COUNTRY_CURRENCY: dict[str, str] = {
    "GB": "GBP", "DE": "EUR", "FR": "EUR", "NL": "EUR", "ES": "EUR", "IE": "EUR", "IT": "EUR",
    "SE": "EUR",
}

MAILBOXES: tuple[str, ...] = ("billing", "accounts", "finance", "ap", "invoices")

CANCEL_REASONS: tuple[str, ...] = (
    "too expensive for our current usage",
    "moved to a competitor",
    "project ended",
    "consolidating tools after an acquisition",
    "budget cuts",
    "missing features we need",
    "company is winding down",
)

TICKET_SUBJECTS: dict[str, tuple[str, ...]] = {
    "billing_question": (
        "Question about the charges on our last invoice",
        "Why did our bill go up this month?",
        "Can you explain the usage line on the invoice?",
    ),
    "invoice_copy": ("Please resend last month's invoice", "Need a PDF copy for our auditors"),
    "payment_method": ("Card on file expired, how do we update it?", "Switch to bank transfer"),
    "tax_question": ("VAT number missing from the invoice", "Request for tax exemption"),
    "plan_change": ("How do we add more seats?", "Considering a move to the Business plan"),
    "refund_request": ("Refund for unused seats", "Charged after we canceled"),
}

DISPUTE_TEXT: dict[str, tuple[str, ...]] = {
    "usage_disagreement": (
        "Our own logs show far fewer API calls than billed.",
        "Usage spike on the invoice does not match our dashboards.",
        "We believe a runaway test job was billed as production usage.",
    ),
    "price_plan_mismatch": (
        "We were promised the old Team price until renewal.",
        "Seat price on the invoice differs from our order form.",
        "The plan on the invoice is not the one we signed up for.",
    ),
    "duplicate_charge": (
        "The platform fee appears twice across two invoices.",
        "We were charged twice for the same period.",
    ),
    "service_issue": (
        "Outage on the 12th made the service unusable for a day.",
        "Degraded API latency for most of the month; requesting a service credit.",
    ),
    "cancellation_not_honoured": (
        "We canceled last month but were still billed.",
        "Cancellation request was sent before the renewal date.",
    ),
    "other": ("Invoice sent to the wrong billing contact.", "Purchase order number missing."),
}

COLLECTION_NOTES: tuple[str, ...] = (
    "Left a voicemail with the customer's AP team.",
    "Emailed the billing contact with a statement of open invoices.",
    "AP says the invoice is in their next payment run.",
    "Customer asked for a copy of the invoice with their PO number.",
    "Escalated to the account manager.",
)

"""The Jobs page: scheduled jobs, their last and next runs, "Run now" (admin)."""

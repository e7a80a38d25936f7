"""Plain HTTP endpoints mounted next to the Reflex app (sign-in routes, later the usage API)."""

"""Identity rules: roles and permissions, password hashing, session tokens, OIDC claims."""

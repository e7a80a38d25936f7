"""Queries (reads) of the identity area: who a session cookie belongs to, the user list,
and the demo sign-ins of a dev console."""

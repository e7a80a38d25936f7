"""Browser-side snippets that need a full page load (the session cookie is set by the server)."""

import json


def post_ticket(ticket: str, next_path: str) -> str:
    """JS that POSTs a login ticket to /auth/complete as a form (no token in URL or history)."""
    fields = json.dumps([["ticket", ticket], ["next", next_path]])
    return (
        "(function(){var f=document.createElement('form');f.method='post';"
        "f.action='/auth/complete';f.style.display='none';"
        f"{fields}.forEach(function(p){{var i=document.createElement('input');"
        "i.type='hidden';i.name=p[0];i.value=p[1];f.appendChild(i);});"
        "document.body.appendChild(f);f.submit();})()"
    )

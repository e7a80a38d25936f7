"""Sign-in routes: login ticket -> HttpOnly cookie, sign-out, and OIDC (code + PKCE, state, nonce).

The session cookie is set only here, by the server, HttpOnly and SameSite=Lax; page code never
sees it. The OIDC handshake state lives in a signed cookie scoped to /auth/oidc.
"""

from __future__ import annotations

import logging
from urllib.parse import quote, urlsplit

from authlib.integrations.starlette_client import OAuth, OAuthError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route

from console import identity as identity
from console import identity as signin
from console.identity import (
    SESSION_COOKIE,
    SignInError,
    cookie_value,
    groups_from_claims,
    roles_from_groups,
)
from console.kernel.settings import secret_key, settings
from models.db import unit_of_work

log = logging.getLogger(__name__)


def safe_next(target: str | None) -> str:
    """Only same-site relative paths are followed after sign-in (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    if target.startswith(("/signin", "/auth/")):
        return "/"
    return target


def _with_cookie(resp: Response, token: str) -> Response:
    cfg = settings()
    resp.set_cookie(SESSION_COOKIE, token, max_age=cfg.session_hours * 3600, httponly=True,
                    samesite="lax", secure=cfg.secure_cookies, path="/")
    return resp


def _signin_error(message: str) -> RedirectResponse:
    return RedirectResponse(f"/signin?error={quote(message)}", status_code=303)


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if not origin:
        return True  # Browsers always send Origin on POST; its absence means a non-browser client.
    host = request.headers.get("host", "")
    return urlsplit(origin).netloc == host


async def complete(request: Request) -> Response:
    """POST /auth/complete: trade the one-time login ticket for the session cookie."""
    if not _same_origin(request):
        return Response("cross-origin sign-in refused", status_code=403)
    form = await request.form()
    try:
        token = signin.redeem_ticket(str(form.get("ticket", "")),
                                     request.headers.get("user-agent", ""))
    except SignInError as exc:
        return _signin_error(str(exc))
    target = safe_next(str(form.get("next", "/")))
    return _with_cookie(RedirectResponse(target, status_code=303), token)


async def logout(request: Request) -> Response:
    """GET /auth/logout: revoke the session (if still live) and clear the cookie."""
    signin.end_session(cookie_value(request.headers.get("cookie", "")))
    resp = RedirectResponse("/signin?signed_out=1", status_code=303)
    resp.delete_cookie(SESSION_COOKIE, path="/")
    return resp


def _oauth() -> OAuth:
    cfg = settings()
    oauth = OAuth()
    oauth.register(
        name="idp",
        client_id=cfg.oidc_client_id,
        client_secret=cfg.oidc_client_secret,
        server_metadata_url=f"{cfg.oidc_issuer}/.well-known/openid-configuration",
        client_kwargs={"scope": cfg.oidc_scopes, "code_challenge_method": "S256"},
    )
    return oauth


async def oidc_login(request: Request) -> Response:
    """GET /auth/oidc/login: redirect to the provider (Authlib adds state, nonce and PKCE)."""
    cfg = settings()
    if cfg.auth_mode != "oidc":
        return _signin_error("Company sign-in is not configured.")
    request.session["next"] = safe_next(request.query_params.get("next"))
    client = request.app.state.oauth.idp
    return await client.authorize_redirect(request, f"{cfg.public_url}/auth/oidc/callback")


async def oidc_callback(request: Request) -> Response:
    """GET /auth/oidc/callback: check state/nonce, map groups to roles, start a session."""
    cfg = settings()
    if cfg.auth_mode != "oidc":
        return _signin_error("Company sign-in is not configured.")
    client = request.app.state.oauth.idp
    try:
        token = await client.authorize_access_token(request)
    except OAuthError as exc:
        log.warning("OIDC callback refused: %s", exc)
        return _signin_error("Sign-in with your company account failed; please try again.")
    claims = dict(token.get("userinfo") or {})
    if cfg.oidc_groups_claim not in claims:
        # Some providers put groups only in userinfo, not in the ID token.
        claims.update(dict(await client.userinfo(token=token)))
    roles = roles_from_groups(groups_from_claims(claims, cfg.oidc_groups_claim),
                              cfg.oidc_role_map)
    try:
        with unit_of_work() as s:
            user = identity.provision_oidc_user(
                s, issuer=str(claims.get("iss", cfg.oidc_issuer)), subject=str(claims["sub"]),
                email=str(claims.get("email", "")), name=str(claims.get("name", "")), roles=roles)
            session_token = identity.start_session(
                s, user=user, method="oidc", session_hours=cfg.session_hours,
                user_agent=request.headers.get("user-agent", ""))
    except SignInError as exc:
        return _signin_error(str(exc))
    target = safe_next(request.session.pop("next", "/"))
    return _with_cookie(RedirectResponse(target, status_code=303), session_token)


def build_auth_app() -> Starlette:
    """The Starlette app holding /auth/* (Reflex mounts itself under it)."""
    cfg = settings()
    oidc = Starlette(
        routes=[Route("/login", oidc_login), Route("/callback", oidc_callback)],
        middleware=[Middleware(SessionMiddleware, secret_key=secret_key(),
                               session_cookie="console_oidc", path="/auth/oidc",
                               same_site="lax", https_only=cfg.secure_cookies, max_age=600)],
    )
    oidc.state.oauth = _oauth() if cfg.auth_mode == "oidc" else None
    return Starlette(routes=[
        Route("/auth/complete", complete, methods=["POST"]),
        Route("/auth/logout", logout, methods=["GET"]),
        Mount("/auth/oidc", app=oidc),
    ])

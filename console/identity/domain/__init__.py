"""Pure rules of the identity area: no SQL, no Reflex, no I/O.

* :mod:`console.identity.domain.passwords`: hashing and the lockout policy.
* :mod:`console.identity.domain.tokens`: opaque tokens, their stored digest, the session cookie.
* :mod:`console.identity.domain.claims`: roles from an identity provider's groups.
* :mod:`console.identity.domain.emails`: the one form of an account's email address.
* :mod:`console.identity.domain.demo_users`: the dev console's demo accounts.
"""

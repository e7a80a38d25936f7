"""One of each shared mechanism, used by every area.

* :mod:`~console.kernel.errors`: the refusals a user reads (nothing was changed).
* :mod:`~console.kernel.roles` and :mod:`~console.kernel.permissions`: the role table and the
  one server-side permission check.
* :mod:`~console.kernel.actor`: who acts (a person or the system).
* :mod:`~console.kernel.conditional`: the optimistic conditional update and its stale message.
* :mod:`~console.kernel.outcome`: the result of a page action.
* :mod:`~console.kernel.frames`: the one SQL -> polars reader.
* :mod:`~console.kernel.months`: month arithmetic.
* :mod:`~console.kernel.policy`: policy settings with defaults.
* :mod:`~console.kernel.settings`: settings from the environment.

Import from the submodules: this package's ``__init__`` stays empty so that pure modules
(``roles``, ``months``, ``errors``) do not drag SQL into domain code that uses them.
"""

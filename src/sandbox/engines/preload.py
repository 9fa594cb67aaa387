"""What the local pool's fork server imports before it forks workers: pandas refused (sandbox.engines.lean),
then the chunk task and its caches (sandbox.engines.warm)."""

from sandbox.engines import lean

lean.refuse()

import sandbox.engines.warm  # noqa: E402,F401

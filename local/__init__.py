"""The laptop product: everything `make run` needs and nothing Lambda runs.

- ``local.backend``: the local scheduling backend (SQLite store, to-the-second engine, dead
  letters), selected with ``SCHEDULER_BACKEND=local``.
- ``local.devserver``: the ``make run`` launcher, ``make demo`` and their dev environment.
- ``python -m local dead-letters list|redrive``: the dead-letter command.

Arrows point down only: this package uses ``shared``; ``shared`` never imports it.
"""

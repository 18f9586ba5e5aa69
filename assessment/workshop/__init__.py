"""Live workshop mode: phones in the room answer, the projector shows who has answered,
answers go straight into the engagement's store.

- :mod:`.session`: the workshop's state, devices and answers, persisted in the store
  and validated by the importers' own readers;
- :mod:`.app`: the Starlette application (phone pages, projector, HTTP interface);
- :mod:`.server`: binding the sockets and running uvicorn;
- :mod:`.net`: choosing the address, host allowlist, rate limits, the self-check;
- :mod:`.charts`: the projector radar's geometry.

Nothing here is imported by ``assess --help``: the CLI imports it inside the command.
"""

from .session import CLOSED, FINISHED, OPEN, Workshop, WorkshopError, open_workshop

__all__ = ["CLOSED", "FINISHED", "OPEN", "Workshop", "WorkshopError", "open_workshop"]

"""Simulated phones for the workshop tests and benchmark: each one its own cookie jar.

A phone speaks the documented HTTP interface (docs/workshop.md): join with the code,
set role and unit, save one answer at a time. Everything stays on 127.0.0.x.
"""

from __future__ import annotations

from typing import Any

import httpx

from assessment.engagement import Workspace, init_workspace
from assessment.questionnaire import Questionnaire


def new_workspace(root, client: str = "Acme") -> Workspace:
    return init_workspace(root, client)


def wire_value(value: Any) -> Any:
    """A synthetic record's answer as a phone sends it (None: not answered)."""
    if value is None:
        return None
    if isinstance(value, str) and value.strip().upper() in ("NA", "N/A"):
        return "na"
    return value


def asked_answers(q: Questionnaire, record: dict[str, Any]) -> list[tuple[str, Any]]:
    """(question, value) pairs a phone in the record's role would send, in page order."""
    out = []
    for d in q.dimensions:
        for qq in d.questions:
            if not q.asked(qq, record["role"]):
                continue
            value = wire_value(record["answers"].get(qq.id))
            if value is not None:
                out.append((qq.id, value))
    return out


class Phone:
    """One participant's browser, reduced to the JSON interface."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.csrf: str | None = None
        self.device: str | None = None

    async def join(self, code: str | None = None, **body: Any) -> httpx.Response:
        payload = dict(body)
        if code is not None:
            payload["code"] = code
        r = await self.client.post("/api/join", json=payload)
        if r.status_code == 200:
            self.csrf, self.device = r.json()["csrf"], r.json()["device"]
        return r

    def _headers(self) -> dict[str, str]:
        return {"X-CSRF-Token": self.csrf or ""}

    async def profile(self, role: str, unit: str | None = None) -> httpx.Response:
        return await self.client.post("/api/profile", json={"role": role, "unit": unit or ""}, headers=self._headers())

    async def answer(self, question: str, value: Any) -> httpx.Response:
        return await self.client.post("/api/answer", json={"question": question, "value": value},
                                      headers=self._headers())

    async def progress(self) -> dict[str, Any]:
        r = await self.client.get("/api/progress")
        r.raise_for_status()
        return r.json()

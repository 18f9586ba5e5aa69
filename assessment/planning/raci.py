"""Named accountability: one accountable person per action, the people responsible, and load warnings.

The action library says which *function* is accountable (one role) and which are
responsible; ``people`` in engagement.yaml says who holds each role at the client.
A role nobody holds is shown as "to be named" and warned about, never filled with
someone else's name.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from ..engagement import Engagement
from ..questionnaire import Action, Questionnaire

TO_BE_NAMED = "to be named"
MAX_ACCOUNTABLE_PER_PHASE = 4


class Assigner:
    """Hands actions to people, balancing load among people who share a role."""

    def __init__(self, q: Questionnaire, engagement: Engagement) -> None:
        self.q = q
        self.people: dict[str, list[Any]] = {}
        for person in engagement.people:
            self.people.setdefault(person.role, []).append(person)
        self.accountable_load: Counter[tuple[str, int]] = Counter()
        self.responsible_load: Counter[str] = Counter()
        self.unfilled: Counter[str] = Counter()

    def _entry(self, role: str, person: Any | None) -> dict[str, Any]:
        label = self.q.role_by_id[role].label if role in self.q.role_by_id else role
        if person is None:
            self.unfilled[role] += 1
            return {"name": TO_BE_NAMED, "title": None, "role": role, "role_label": label}
        return {"name": person.name, "title": person.title, "role": role, "role_label": label}

    def _pick(self, role: str, load: Any) -> Any | None:
        holders = self.people.get(role) or []
        return min(holders, key=lambda p: (load(p), holders.index(p))) if holders else None

    def assign(self, action: Action, phase: int) -> tuple[dict[str, Any], tuple[dict[str, Any], ...]]:
        """``(accountable, responsible)`` for one action scheduled in ``phase``."""
        accountable_role = action.accountable or action.owners[0]
        responsible_roles = list(action.responsible) if action.accountable else list(action.owners[1:])
        person = self._pick(accountable_role, lambda p: self.accountable_load[(p.name, phase)])
        if person is not None:
            self.accountable_load[(person.name, phase)] += 1
        accountable = self._entry(accountable_role, person)
        responsible = []
        for role in dict.fromkeys(r for r in responsible_roles if r != accountable_role):
            who = self._pick(role, lambda p: self.responsible_load[p.name])
            if who is not None:
                self.responsible_load[who.name] += 1
            responsible.append(self._entry(role, who))
        return accountable, tuple(responsible)

    def warnings(self, engagement: Engagement) -> list[str]:
        out = []
        if not engagement.people:
            out.append("engagement.yaml lists no `people`: every action's accountable person is 'to be named'. "
                       "Add who holds each role (name, title, role) before the plan goes to the board.")
        else:
            for role, n in sorted(self.unfilled.items()):
                label = self.q.role_by_id[role].label if role in self.q.role_by_id else role
                out.append(f"No one in `people` holds the role {role} ({label}): {n} place(s) in the plan show "
                           "'to be named'.")
        for (name, phase), n in sorted(self.accountable_load.items()):
            if n > MAX_ACCOUNTABLE_PER_PHASE:
                out.append(f"{name} is accountable for {n} actions in phase {phase} (more than "
                           f"{MAX_ACCOUNTABLE_PER_PHASE}); share the load or stagger the actions.")
        return out

"""The one error type the generator raises for user mistakes."""

from __future__ import annotations

from typing import TypedDict


class SpecProblem(TypedDict):
    """One problem: the CR field path and what to do, e.g. `spec.server.port` / `must be ...`."""

    path: str
    message: str


class SpecError(ValueError):
    """An invalid LLSD spec. `errors` lists every problem found, not just the first."""

    def __init__(self, errors: list[SpecProblem]):
        self.errors = sorted(errors, key=lambda e: (e["path"], e["message"]))
        super().__init__("; ".join(f"{e['path']}: {e['message']}" for e in self.errors))


class ErrorList:
    """Collects errors while validation goes on, so a user sees all of them at once."""

    def __init__(self) -> None:
        self.items: list[SpecProblem] = []

    def add(self, path: str, message: str) -> None:
        item = SpecProblem(path=path, message=message)
        if item not in self.items:
            self.items.append(item)

    def raise_if_any(self) -> None:
        if self.items:
            raise SpecError(self.items)

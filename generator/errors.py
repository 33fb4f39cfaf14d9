"""The one error type the generator raises for user mistakes."""

from __future__ import annotations


class SpecError(ValueError):
    """An invalid LLSD spec. `errors` lists every problem found, not just the first.

    Each error is `{"path": "spec.server....", "message": "..."}`; the message says what to do.
    """

    def __init__(self, errors: list[dict[str, str]]):
        self.errors = sorted(errors, key=lambda e: (e["path"], e["message"]))
        super().__init__("; ".join(f"{e['path']}: {e['message']}" for e in self.errors))


class ErrorList:
    """Collects errors while validation goes on, so a user sees all of them at once."""

    def __init__(self) -> None:
        self.items: list[dict[str, str]] = []

    def add(self, path: str, message: str) -> None:
        item = {"path": path, "message": message}
        if item not in self.items:
            self.items.append(item)

    def raise_if_any(self) -> None:
        if self.items:
            raise SpecError(self.items)

"""The emulator's own state: one SQLite file (stdlib sqlite3), separate from AVA's database and migrations."""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

from ava_app.private_files import private_sqlite_file

_SCHEMA = """
CREATE TABLE IF NOT EXISTS vapi_object (
    kind TEXT NOT NULL,
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_vapi_object_org_kind_created ON vapi_object (org_id, kind, created_at);
"""
_OPERATORS = {"Gt": ">", "Lt": "<", "Ge": ">=", "Le": "<="}
_COLUMNS = {"createdAt": "created_at", "updatedAt": "updated_at"}


class SandboxStore:
    """Assistants, phone numbers and calls as JSON documents, scoped by org. Methods are blocking (run in a thread)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        private_sqlite_file(self.path)
        # One writer at a time keeps number allocation (5 per org, unique numbers) race-free across threads.
        self._write_lock = threading.Lock()
        with self._connect() as connection:
            connection.executescript(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=10)

    def insert(self, kind: str, obj: dict[str, Any]) -> dict[str, Any]:
        with self._write_lock, self._connect() as connection:
            connection.execute(
                "INSERT INTO vapi_object (kind, id, org_id, created_at, updated_at, body) VALUES (?, ?, ?, ?, ?, ?)",
                (kind, obj["id"], obj["orgId"], obj["createdAt"], obj["updatedAt"], json.dumps(obj)),
            )
        return obj

    def save(self, kind: str, obj: dict[str, Any]) -> dict[str, Any]:
        """Replace a stored object (its id and org do not change)."""
        with self._write_lock, self._connect() as connection:
            connection.execute(
                "UPDATE vapi_object SET updated_at = ?, body = ? WHERE kind = ? AND id = ?",
                (obj["updatedAt"], json.dumps(obj), kind, obj["id"]),
            )
        return obj

    def get(self, kind: str, object_id: str, *, org_id: str | None = None) -> dict[str, Any] | None:
        """One object by id; with ``org_id`` only if it belongs to that org."""
        query = "SELECT body FROM vapi_object WHERE kind = ? AND id = ?"
        params: list[Any] = [kind, object_id]
        if org_id is not None:
            query += " AND org_id = ?"
            params.append(org_id)
        with self._connect() as connection:
            row = connection.execute(query, params).fetchone()
        return json.loads(row[0]) if row else None

    def list(
        self,
        kind: str,
        *,
        org_id: str,
        limit: int = 100,
        time_filters: dict[tuple[str, str], str] | None = None,
        equals: dict[str, str] | None = None,
    ) -> list[dict[str, Any]]:
        """Objects of an org, newest first, filtered by ``{(field, op): iso}`` and top-level equality."""
        query = "SELECT body FROM vapi_object WHERE kind = ? AND org_id = ?"
        params: list[Any] = [kind, org_id]
        for (field, op), value in (time_filters or {}).items():
            query += f" AND {_COLUMNS[field]} {_OPERATORS[op]} ?"
            params.append(value)
        for field, value in (equals or {}).items():
            query += " AND json_extract(body, ?) = ?"
            params += [f"$.{field}", value]
        query += " ORDER BY created_at DESC, id DESC LIMIT ?"
        params.append(limit)
        with self._connect() as connection:
            return [json.loads(row[0]) for row in connection.execute(query, params)]

    def delete(self, kind: str, object_id: str) -> None:
        with self._write_lock, self._connect() as connection:
            connection.execute("DELETE FROM vapi_object WHERE kind = ? AND id = ?", (kind, object_id))

    def allocate_vapi_number(self, obj: dict[str, Any], *, area_code: str, per_org_limit: int) -> dict[str, Any] | str:
        """Give ``obj`` the first free fictional number +1<area>55501xx and insert it, or return why it cannot."""
        with self._write_lock, self._connect() as connection:
            owned = connection.execute(
                "SELECT COUNT(*) FROM vapi_object WHERE kind = 'phone-number' AND org_id = ? "
                "AND json_extract(body, '$.provider') = 'vapi'",
                (obj["orgId"],),
            ).fetchone()[0]
            if owned >= per_org_limit:
                return f"Free number limit reached: an org can have at most {per_org_limit} free Vapi numbers."
            taken = {
                row[0]
                for row in connection.execute(
                    "SELECT json_extract(body, '$.number') FROM vapi_object WHERE kind = 'phone-number'"
                )
            }
            # 555-0100..0199 is the range reserved for fiction, so a sandbox number can never ring a real phone.
            free = next((n for n in (f"+1{area_code}55501{i:02d}" for i in range(100)) if n not in taken), None)
            if free is None:
                return f"No free numbers left in area code {area_code}; try another area code."
            obj["number"] = free
            connection.execute(
                "INSERT INTO vapi_object (kind, id, org_id, created_at, updated_at, body) VALUES (?, ?, ?, ?, ?, ?)",
                ("phone-number", obj["id"], obj["orgId"], obj["createdAt"], obj["updatedAt"], json.dumps(obj)),
            )
        return obj

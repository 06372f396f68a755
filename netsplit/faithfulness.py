"""Name-level faithfulness of the port: which upstream names (from the inventory of Bitcoin Core
v30.0 in ``migration/data/core_net_inventory.json``) the legacy modules define.

Names are a floor, not proof: behaviour is what the tests show. The check reads source with
``ast`` and never imports the code it measures.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
INVENTORY = ROOT / "migration" / "data" / "core_net_inventory.json"


@dataclass(frozen=True)
class NameCount:
    label: str
    present: tuple[str, ...]
    missing: tuple[str, ...]

    @property
    def total(self) -> int:
        return len(self.present) + len(self.missing)

    @property
    def ratio(self) -> float:
        return len(self.present) / self.total if self.total else 1.0


def load_inventory() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(INVENTORY.read_text())
    return data


def _upstream_names(entries: list[Any]) -> list[str]:
    names = set()
    for entry in entries:
        raw = entry["name"] if isinstance(entry, dict) else str(entry)
        name = raw.split("(")[0].strip()
        if name and not name.startswith("~") and name not in ("CNode", "CConnman"):
            names.add(name)
    return sorted(names)


def class_members(path: Path) -> dict[str, set[str]]:
    """Names each class defines: methods, ``self.x`` assignments, annotations and ``__slots__``."""
    members: dict[str, set[str]] = {}
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.ClassDef):
            continue
        names = members.setdefault(node.name, set())
        for sub in ast.walk(node):
            if isinstance(sub, ast.FunctionDef | ast.AsyncFunctionDef):
                names.add(sub.name)
            elif isinstance(sub, ast.AnnAssign):
                target = sub.target
                if isinstance(target, ast.Name):
                    names.add(target.id)
                elif isinstance(target, ast.Attribute) and _is_self_attr(target):
                    names.add(target.attr)
            elif isinstance(sub, ast.Attribute) and _is_self_attr(sub):
                if isinstance(sub.ctx, ast.Store):
                    names.add(sub.attr)
            elif isinstance(sub, ast.Assign):
                names.update(_slot_names(sub))
    return members


def _is_self_attr(node: ast.expr) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "self"
    )


def _slot_names(assign: ast.Assign) -> set[str]:
    if not any(isinstance(t, ast.Name) and t.id == "__slots__" for t in assign.targets):
        return set()
    try:
        value = ast.literal_eval(assign.value)
    except ValueError:
        return set()
    return {str(v) for v in value} if isinstance(value, tuple | list) else set()


_ROWS = (
    ("legacy/net.py", "CNode", "cnode_fields", "CNode members"),
    ("legacy/net.py", "CNode", "cnode_methods", "CNode methods"),
    ("legacy/net.py", "CConnman", "cconnman_public_methods", "CConnman public methods"),
    ("legacy/net_processing.py", "Peer", "peer_fields", "Peer members"),
    ("legacy/net_processing.py", "CNodeState", "cnodestate_fields", "CNodeState members"),
)


def census(root: Path = ROOT) -> list[NameCount]:
    """Upstream names present in, and missing from, each legacy class; plus handled messages."""
    inventory = load_inventory()
    out: list[NameCount] = []
    for rel, cls, key, label in _ROWS:
        path = root / rel
        have = class_members(path).get(cls, set()) if path.exists() else set()
        want = _upstream_names(inventory[key])
        out.append(
            NameCount(
                label,
                tuple(n for n in want if n in have),
                tuple(n for n in want if n not in have),
            )
        )
    out.append(_handled_messages(inventory, root / "legacy" / "net_processing.py"))
    return out


def _handled_messages(inventory: dict[str, Any], path: Path) -> NameCount:
    handled = [
        t["constant"].split("::")[1]
        for t in inventory["message_types"]["types"]
        if t.get("handled_in_ProcessMessage")
    ]
    text = path.read_text() if path.exists() else ""
    present = tuple(m for m in handled if re.search(rf"NetMsgType\.{m}\b", text))
    return NameCount(
        "message types handled",
        present,
        tuple(m for m in handled if m not in present),
    )


def main() -> int:
    for count in census(ROOT):
        missing = f"   missing: {', '.join(count.missing)}" if count.missing else ""
        print(f"{count.label:26} {len(count.present):3}/{count.total}{missing}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Import boundaries, read from the source with `ast` (nothing is imported):

- the core (`bot/` except the composition root and the entry points) never imports a chat
  platform's SDK (Slack's, the Microsoft 365 Agents SDK), the database libraries, `storage` or
  `handlers`;
- `storage/` never imports the services or the chat code;
- `bot/domain` imports nothing from the ports or the services.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The composition root and the entry points may wire adapters.
WIRING = {
    "bot/bootstrap.py",
    "bot/runtime.py",
    "bot/demo.py",
    "bot/demo_chat.py",
    "bot/demo_teams.py",
}
WIRING_DIRS = ("bot/testing/", "bot/cli/")
ADAPTERS = (
    "slack_bolt",
    "slack_sdk",
    "microsoft_agents",
    "sqlalchemy",
    "sqlmodel",
    "storage",
    "handlers",
)


@dataclass(frozen=True)
class Rule:
    name: str
    applies: str  # a path prefix
    forbidden: tuple[str, ...]  # module prefixes
    exempt: frozenset[str] = frozenset()
    exempt_dirs: tuple[str, ...] = ()

    def covers(self, path: str) -> bool:
        return (
            path.startswith(self.applies)
            and path not in self.exempt
            and not path.startswith(self.exempt_dirs)
        )


RULES = (
    Rule("core without adapters", "bot/", ADAPTERS, frozenset(WIRING), WIRING_DIRS),
    Rule("storage without services", "storage/", ("bot.services", "bot.chat")),
    Rule("domain without ports or services", "bot/domain/", ("bot.ports", "bot.services")),
)


def imports(source: str, module: str) -> list[tuple[str, tuple[str, ...]]]:
    """Each import of a source as (module, imported names); relative ones resolved."""
    found: list[tuple[str, tuple[str, ...]]] = []
    package = module.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(alias.name, ()) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parent = ".".join(parts[: len(parts) - node.level + 1])
                base = f"{parent}.{base}" if base else parent
            found.append((base, tuple(alias.name for alias in node.names)))
    return found


def violations(rule: Rule, path: str, source: str) -> list[str]:
    def forbidden(name: str) -> bool:
        return any(name == p or name.startswith(p + ".") for p in rule.forbidden)

    module = path.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
    found: set[str] = set()
    for base, names in imports(source, module):
        if forbidden(base):
            found.add(base)
        else:  # `from bot import services`
            found.update(f"{base}.{name}" for name in names if forbidden(f"{base}.{name}"))
    return sorted(f"{path} imports {name} ({rule.name})" for name in found)


def python_files() -> dict[str, str]:
    return {
        path.relative_to(ROOT).as_posix(): path.read_text(encoding="utf-8")
        for folder in ("bot", "storage")
        for path in sorted((ROOT / folder).rglob("*.py"))
    }


def test_import_boundaries() -> None:
    files = python_files()
    problems = []
    for rule in RULES:
        checked = [path for path in files if rule.covers(path)]
        assert checked, f"{rule.name}: no module checked"
        print(f"{rule.name}: {len(checked)} modules checked")
        for path in checked:
            problems += violations(rule, path, files[path])
    assert problems == []


def test_a_violation_is_found() -> None:
    core, storage, domain = RULES
    source = "import sqlalchemy\nfrom slack_sdk.errors import SlackApiError\nfrom ..x import y\n"
    assert violations(core, "bot/services/planner.py", source) == [
        "bot/services/planner.py imports slack_sdk.errors (core without adapters)",
        "bot/services/planner.py imports sqlalchemy (core without adapters)",
    ]
    assert violations(storage, "storage/outbox.py", "from bot.services.notices import X\n") == [
        "storage/outbox.py imports bot.services.notices (storage without services)"
    ]
    relative = "from ..ports.outbox import Unit\n"
    assert violations(domain, "bot/domain/recipients.py", relative) == [
        "bot/domain/recipients.py imports bot.ports.outbox (domain without ports or services)"
    ]
    assert violations(core, "bot/services/planner.py", "import storagebox\n") == []


def test_the_wiring_may_import_adapters() -> None:
    core = RULES[0]
    assert not core.covers("bot/bootstrap.py") and not core.covers("bot/testing/memory/")
    assert core.covers("bot/services/delivery.py") and core.covers("bot/chat/service.py")


def test_from_a_package_import_a_forbidden_module_is_found() -> None:
    core = RULES[0]
    assert (
        violations(core, "bot/services/x.py", "from bot import chat\nfrom . import planner\n") == []
    )
    assert violations(core, "bot/services/x.py", "import handlers\n") == [
        "bot/services/x.py imports handlers (core without adapters)"
    ]
    storage = RULES[1]
    assert violations(storage, "storage/x.py", "from bot import services\n") == [
        "storage/x.py imports bot.services (storage without services)"
    ]

"""The architecture holds: each layer imports only the layers below it, and no module imports itself back.

Both checks count imports inside functions: a cycle hidden in a function body still ties two modules together.
"""

from __future__ import annotations

import grimp
from importlinter.cli import lint_imports


def test_every_layer_imports_only_the_layers_below_it():
    """The contracts in pyproject.toml (``[tool.importlinter]``); the report names any import that breaks one."""
    assert lint_imports(no_cache=True) == 0


def test_no_module_imports_itself_back():
    graph = grimp.build_graph("ava_app", cache_dir=None)

    cycles = sorted(
        (module, imported)
        for module in graph.modules
        for imported in graph.find_modules_directly_imported_by(module)
        if module < imported and graph.chain_exists(importer=imported, imported=module)
    )
    assert cycles == [], cycles


def test_provider_clients_import_no_business_service():
    """Vapi, Twilio and OpenAI clients sit under the services: they may raise the services' errors, nothing more."""
    graph = grimp.build_graph("ava_app", cache_dir=None)
    allowed = ("ava_app.services.providers", "ava_app.services.errors")

    upward = sorted(
        (module, imported)
        for module in graph.find_descendants("ava_app.services.providers")
        for imported in graph.find_modules_directly_imported_by(module)
        if imported.startswith("ava_app.services") and not imported.startswith(allowed)
    )
    assert upward == [], upward

"""The package's layout: data flows one way, so no module imports from a later folder.

Order of the flow (docs/architecture.md): core -> ingest -> harmonise -> measures -> analysis ->
report -> pipeline -> cli. ``synth`` (the synthetic sample) may use the core and the readers'
schemas, and only the pipeline (and the CLI) may call it.
"""

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "src" / "wmp_analysis"
ORDER = ["core", "ingest", "harmonise", "measures", "analysis", "report", "pipeline", "cli"]
#: the declared exceptions, each with its reason (docs/architecture.md)
ALLOWED = {
    # each police.uk month is harmonised in Arrow as it is read, so it is never held twice
    ("wmp_analysis.ingest.police_uk.build", "harmonise"),
    # the ingest step generates the synthetic sample first when the config asks for it
    ("wmp_analysis.ingest.pipeline", "synth"),
}
FOLDERS = {"ingest", "harmonise", "measures", "analysis", "report", "pipeline", "synth"}


def layer(module: str) -> str:
    parts = module.split(".")
    if len(parts) > 1 and parts[1] in FOLDERS:
        return parts[1]
    if len(parts) > 1 and parts[1] == "cli":
        return "cli"
    return "core"


def rank(name: str) -> int:
    return ORDER.index("ingest") if name == "synth" else ORDER.index(name)


def imports(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            mod = node.module
            # `from wmp_analysis import report` names the folder in the alias
            if mod == "wmp_analysis":
                yield from (n for n in names[1:])
            else:
                yield mod
        elif isinstance(node, ast.Import):
            yield from (a.name for a in node.names)


def modules():
    for p in sorted(PKG.rglob("*.py")):
        rel = p.relative_to(PKG.parent).with_suffix("")
        yield ".".join(rel.parts).removesuffix(".__init__"), p


def test_layer_of_a_module_hand_checked():
    assert layer("wmp_analysis.ingest.police_uk.parse") == "ingest"
    assert layer("wmp_analysis.report.plots.style") == "report"
    assert layer("wmp_analysis.periods") == "core"
    assert layer("wmp_analysis.cli") == "cli"


@pytest.mark.parametrize("module,path", list(modules()), ids=lambda v: str(v).split("/")[-1])
def test_no_import_from_a_later_folder(module, path):
    own = layer(module)
    bad = []
    for target in imports(path):
        if not target.startswith("wmp_analysis"):
            continue
        other = layer(target)
        if (module, other) in ALLOWED:
            continue
        if (other == "synth" and own not in ("synth", "pipeline", "cli")) or (
            other != "synth" and rank(other) > rank(own)
        ):
            bad.append(target)
    assert not bad, f"{module} ({own}) imports from later in the flow: {sorted(set(bad))}"

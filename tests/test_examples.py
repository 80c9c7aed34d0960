"""The shipped example calls beside KREATIVE PARTNERSKABER: each validates, runs, keeps every rule
of its call, and is what its seeded generator writes."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from selection.pipeline import load_call_folder, run_call

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


def _generator(name: str):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize(("folder", "generator", "seed"), [
    ("horizon-europe", "generate_horizon_europe", 2024),
    ("research-council", "generate_research_council", 7),
])
def test_committed_data_is_what_the_seeded_generator_writes(tmp_path, folder, generator, seed):
    _generator(generator).generate(seed, tmp_path)
    for f in sorted((EXAMPLES / folder).rglob("*.csv")):
        rel = f.relative_to(EXAMPLES / folder)
        assert (tmp_path / rel).read_bytes() == f.read_bytes(), rel


def test_kreative_partnerskaber_data_is_what_the_generator_writes(tmp_path):
    _generator("generate_kreative_partnerskaber").generate(2012, tmp_path)
    here = EXAMPLES / "kreative-partnerskaber"
    for rel in ["applications.csv", *(p.relative_to(here) for p in (here / "scores" / "stage1").glob("*.csv"))]:
        assert (tmp_path / rel).read_bytes() == (here / rel).read_bytes(), rel


def test_kreative_partnerskaber_places_fit_their_names():
    """A Dane would not stumble: places named in a title are the lead's own municipality."""
    apps = load_call_folder(EXAMPLES / "kreative-partnerskaber").applications
    by_title = {a.title: a for a in apps.values()}
    assert by_title["Smag af Djursland"].municipality in ("Norddjurs", "Syddjurs")
    assert by_title["Kreativ velfærd på Samsø"].municipality == "Samsø"
    assert by_title["Strik fra Herning til verden"].municipality == "Herning"
    assert by_title["Filmturisme i Vestjylland"].rural
    for a in apps.values():  # a lead named after a town is in that town
        for town in ("Aarhus", "Herning", "Viborg", "Lemvig", "Samsø", "Struer", "Skive", "Horsens", "Randers"):
            if town in a.lead_organisation:
                assert a.municipality == town, (a.id, a.lead_organisation, a.municipality)


def _funding_line_holds(result, folder):
    """Rank order within every rule: each eligible application ranked above the last selected
    one and left out would break a rule if added (all rules of these calls are caps)."""
    st = folder.call.stages[0]
    sr = result.stages[st.number]
    chosen = frozenset(sr.outcome.selected)
    worst = max(sr.ranking.at[a, "rank"] for a in chosen)
    table = sr.selection.set_index("application_id")
    for a in sr.ranking.index:
        if a in chosen or not table.at[a, "eligible"] or sr.ranking.at[a, "rank"] > worst:
            continue
        assert any(r.slack(chosen | {a}) < -1e-9 for r in sr.outcome.rules if r.kind != "forced"), a
    return sr


def test_horizon_europe_example_runs_in_rank_order_within_its_rules():
    folder = load_call_folder(EXAMPLES / "horizon-europe")
    assert folder.call.currency.code == "EUR"
    result = run_call(folder)
    sr = result.stages[1]
    apps = folder.applications
    chosen = sr.outcome.selected
    st = folder.call.stage(1)
    assert sum(st.cost(apps[a]) for a in chosen) <= st.budget
    assert not {"HE-008", "HE-042"} <= set(chosen)  # mutually exclusive
    for topic in folder.call.attribute("topic").value_ids():  # one per topic, at most half the money
        money = sum(st.cost(apps[a]) for a in chosen if apps[a].attribute("topic") == topic)
        assert 2 * money <= sum(st.cost(apps[a]) for a in chosen)
    table = sr.selection.set_index("application_id")
    assert table.at["HE-018", "reason"].startswith("not eligible: Partner countries 2, at least 3 required")
    assert "EUR" in " ".join(r.description for r in sr.outcome.rules) and "DKK" not in " ".join(
        r.description for r in sr.outcome.rules)
    assert sr.reserve is not None and list(sr.reserve["position"]) == list(range(1, len(sr.reserve) + 1))
    assert sr.reserve["rank"].is_monotonic_increasing


def test_research_council_example_funds_the_ranked_list():
    folder = load_call_folder(EXAMPLES / "research-council")
    assert len(folder.applications) == 2000
    result = run_call(folder)
    sr = _funding_line_holds(result, folder)
    st = folder.call.stage(1)
    apps = folder.applications
    used = sum(st.cost(apps[a]) for a in sr.outcome.selected)
    assert used <= st.budget
    # no eligible application left out could still be paid from what is left
    left = st.budget - used
    table = sr.selection.set_index("application_id")
    pis = {apps[a].attribute("pi") for a in sr.outcome.selected}
    assert not any(table.at[a, "eligible"] and st.cost(apps[a]) <= left and apps[a].attribute("pi") not in pis
                   for a in table.index if a not in sr.outcome.selected)
    assert all(apps[a].attribute("duration_months") <= 48 for a in sr.outcome.selected)
    assert result.timings["stage1_select_s"] < 60  # a loose guard; benchmarks/bench_funding_line.py measures

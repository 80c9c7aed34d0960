"""The Danish twin of each decision reason (``reason_da``), built from the same facts as ``reason``."""

from __future__ import annotations

from selection.danish import kr, num, pct
from selection.model import ForcedDecision, Stage
from selection.select import SELECTION_COLUMNS, select_stage
from selection.words import add_reasons, fmt


def test_reason_da_follows_eligible_and_the_record_comes_last():
    assert SELECTION_COLUMNS[-4:] == ["eligible", "reason_da", "reason_code", "facts"]


def test_danish_numbers():
    assert num(2.5, ".2f") == "2,50" and num(0.1417, ".4g") == "0,1417"
    assert kr(2_000_000) == "2.000.000 kr." and kr(250_000) == "250.000 kr."
    assert pct(0.4, 1) == "40,0 %" and pct(1 / 3) == "33 %"


def test_every_row_of_the_example_has_a_danish_reason(example_result):
    for n in (1, 2):
        t = example_result.stages[n].selection
        assert list(t.columns) == SELECTION_COLUMNS
        assert t["reason_da"].astype(str).str.len().gt(0).all()
        # same kind of decision in both languages
        assert (t["reason"].eq("selected") == t["reason_da"].eq("udvalgt")).all()
        assert (t["reason"].str.startswith("below threshold: ")
                == t["reason_da"].str.startswith("under tærsklen: ")).all()
        assert (t["reason"].str.startswith("ranking deviation: ")
                == t["reason_da"].str.startswith("rangafvigelse: ")).all()
        assert (t["reason"].str.startswith("outranked: ")
                == t["reason_da"].str.startswith("overgået: ")).all()
        assert (t["reason"].str.startswith("outranked within the budget: ")
                == t["reason_da"].str.startswith("overgået inden for budgettet: ")).all()
        assert not t["reason_da"].str.contains("DKK|selected|outranked|below threshold").any()


def test_known_danish_reasons_of_the_example(example_result):
    s1 = example_result.stages[1].selection.set_index("application_id")
    s2 = example_result.stages[2].selection.set_index("application_id")
    assert s1.at["KP-05", "reason_da"] == "udvalgt"
    # threshold: criteria by their name in each language, numbers with the decimal comma
    assert s1.at["KP-18", "reason"] == "below threshold: Value added 1.00 < 2"
    assert s1.at["KP-18", "reason_da"] == "under tærsklen: Værditilvækst 1,00 < 2"
    assert s1.at["KP-08", "reason_da"] == "under tærsklen: vægtet panelscore 2,39 < 2,5"
    # §7 eligibility on the partner counts, with the requirement's reason
    assert s1.at["KP-24", "reason_da"] == ("ikke støtteberettiget: Kulturelle partnere 0, mindst 1 kræves "
                                           "(§7: kulturelle kompetencer / cultural competences)")
    # stage 2: the 33 % is read for the pool, so KP-07 (40 % alone) may be chosen
    assert s2.at["KP-07", "eligible"]
    # outranked, the budget with the fixed costs per selected (§12), and a cap in Danish word forms
    assert s1.at["KP-38", "reason_da"] == (
        "overgået: alle 8 pladser gik til højere rangerede ansøgninger; budgettet \"ansøgte tilskud + "
        "Springboard-rådgivning 37.500 kr. + effektmålingsdesign 45.000 kr. pr. udvalgt inden for 2.660.000 kr.\" "
        "ville blive overskredet med 332.500 kr.; udelukket af loftet for branchen Film & Video "
        "(højst 3; 3 allerede udvalgt)")
    assert s2.at["KP-07", "reason_da"].startswith(
        "rangafvigelse: i stedet for KP-33: budgettet \"samlede partnerskabsbudgetter inden for 22.500.000 kr. "
        "pr. år\" ville blive overskredet med 300.000 kr.")
    # a ranking deviation with its cost and who would leave
    dev = s1[s1["reason"].str.startswith("ranking deviation")]
    assert len(dev)
    for _, r in dev.iterrows():
        assert r["reason_da"].startswith("rangafvigelse: i stedet for ")
        assert f"; at tage den med koster {fmt(r['cost_to_include'], 'value', 'da')} i samlet værdi" in r["reason_da"]
        leaving = r["would_leave"].split() if isinstance(r["would_leave"], str) else []
        if leaving:
            assert r["reason_da"].endswith(f"({', '.join(leaving)} ville udgå)")
        assert "udelukket af loftet for hovedansøgeren " in r["reason_da"]


def test_forced_and_earlier_stage_reasons(example_folder, example_result):
    """Forced in/out and "not selected in stage 1", on the example's stage 2."""
    st2 = example_folder.call.stages[1]
    s1 = example_result.stages[1].outcome.selected
    ranking = example_result.stages[2].ranking
    inside = [a for a in s1 if a in ranking.index]
    forced = Stage.model_validate({**st2.model_dump(), "forced": [
        ForcedDecision(application=inside[0], include=True, reason="politisk prioritet").model_dump(),
        ForcedDecision(application=inside[1], include=False, reason="trukket tilbage").model_dump()]})
    _, t = select_stage(forced, ranking, example_folder.applications, candidates=s1[:-1])
    t = add_reasons(t).set_index("application_id")
    assert t.at[inside[0], "reason_da"] == "udvalgt ved beslutning (politisk prioritet)"
    assert t.at[inside[1], "reason_da"] == "udelukket ved beslutning: trukket tilbage"
    assert t.at[s1[-1], "reason_da"] == "ikke udvalgt i fase 1"


def test_rules_have_danish_descriptions(example_result):
    for sr in example_result.stages.values():
        for r in sr.outcome.rules:
            assert r.description_da, r.name
        words = {r.name: r.description_da for r in sr.outcome.rules}
        assert words["max_selected"].startswith("højst ") and words["max_selected"].endswith(" udvalgt")


def test_linked_mode_has_danish_reasons(call_copy):
    (call_copy / "scenarios" / "linked.toml").write_text(
        'schema_version = 1\nname = "linked"\nselection_mode = "linked"\n', encoding="utf-8")
    from selection.pipeline import load_call_folder, run_call

    lnk = run_call(load_call_folder(call_copy, "linked"))
    for sr in lnk.stages.values():
        t = sr.selection
        assert list(t.columns) == SELECTION_COLUMNS
        assert t["reason_da"].astype(str).str.len().gt(0).all()
        assert (t["reason"].eq("selected") == t["reason_da"].eq("udvalgt")).all()
    t1 = lnk.stages[1].selection
    dev = t1[t1["reason"].str.startswith("ranking deviation")]
    assert len(dev)
    for _, r in dev.iterrows():
        assert r["reason_da"].startswith("rangafvigelse: ")
        assert "(koblet tilstand: fase 1 vælges først" in r["reason_da"]
        if r["cost_to_include"] == r["cost_to_include"] and r["cost_to_include"] != float("inf"):
            assert " i værdi i fase 2" in r["reason_da"]

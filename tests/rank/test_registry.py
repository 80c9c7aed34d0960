"""A ranking method is one registration: one module plus one entry in selection.ranking_methods.

The toy method below lives in a module written for the test and is registered with one call;
nothing else is edited, and it must then be accepted by the call file and scenario models, rank a
whole call and feed the selection, and appear among the sensitivity kernels.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest

from selection import ranking_methods
from selection.ranking_methods import RankingMethod

TOY_MODULE = '''
"""Power sum: sum_j w_j * x_ij ** power (a toy method for the registry test)."""
import numpy as np

from selection.rank._common import oriented, weight_matrix
from selection.rank.weighted import prepare


def kernel(x, w, *, directions=None, power=1.0):
    wm, single = weight_matrix(w)
    s = wm @ (np.abs(oriented(x, directions)) ** power).T
    return s[0] if single else s


def method_scores(table, weights, *, directions=None, power=1.0):
    x, w, mask = prepare(table, weights, directions)
    own = kernel(x, w, directions=mask, power=power)
    return own, own, {"power": power}
'''


@pytest.fixture
def toy_method(tmp_path, monkeypatch):
    (tmp_path / "toy_power_sum.py").write_text(TOY_MODULE, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    method = ranking_methods.register(RankingMethod("power_sum", "toy_power_sum", ("power",),
                                                    "toy: weighted sum of powered scores"))
    yield method
    ranking_methods.unregister("power_sum")
    sys.modules.pop("toy_power_sum", None)


def test_builtin_methods_implement_the_protocol():
    for m in ranking_methods.BUILTIN:
        impl = ranking_methods.implementation(m.name)
        assert callable(impl.kernel) and callable(impl.method_scores), m.name


def test_model_names_come_from_the_registry(toy_method):
    from selection.model import Stage, StageOverride

    assert StageOverride.model_validate({"ranking_method": "power_sum"}).ranking_method == "power_sum"
    ranking_methods.unregister("power_sum")
    with pytest.raises(ValueError, match="unknown ranking method 'power_sum'; use one of 'weighted_sum'"):
        StageOverride.model_validate({"ranking_method": "power_sum"})
    assert "ranking_method" in Stage.model_fields
    ranking_methods.register(toy_method)


def test_a_registered_method_ranks_and_selects_a_whole_call(toy_method, example_folder):
    from selection.model import Call
    from selection.pipeline import CallFolder, run_call
    from selection.rank import KERNELS

    data = example_folder.call.model_dump()
    data["stages"][0]["ranking_method"] = "power_sum"
    data["stages"][0]["ranking_params"] = {"power": 2.0}
    folder = CallFolder(**{**example_folder.__dict__, "call": Call.model_validate(data)})
    result = run_call(folder)
    ranking = result.stages[1].ranking
    assert ranking.attrs["method"] == "power_sum" and ranking.attrs["power"] == 2.0
    # the method's own score is the toy's formula on the panel scores and the stage's weights
    cat = folder.catalogues[1]
    crit = cat.criterion_ids
    panel = ranking[[f"panel_{c}" for c in crit]].to_numpy()
    w = np.array([cat.weights()[c] for c in crit])
    w = w / w.sum()
    assert np.allclose(ranking["method_score"].to_numpy(), (panel ** 2) @ w)
    assert (np.diff(ranking["score"].to_numpy()) <= 1e-12).all()  # ranked by it
    chosen = result.stages[1].outcome.selected
    assert 0 < len(chosen) <= folder.call.stages[0].max_selected
    # and the sensitivity analysis finds its kernel, with its parameters as keywords
    kernel, params = ranking_methods.kernel_call("power_sum", {"power": 2.0}, crit)
    assert kernel is KERNELS["power_sum"] and params == {"power": 2.0}
    assert np.allclose(kernel(panel, w, **params), (panel ** 2) @ w)


def test_unknown_parameter_is_named(toy_method, example_folder):
    from selection.errors import RankingError
    from selection.rank import rank_applications

    panel = example_folder.evaluations[1].groupby(["application_id", "criterion_id"])["score"].mean().unstack()
    with pytest.raises(RankingError, match="ranking method 'power_sum' takes no parameter 'v' .it takes: power."):
        rank_applications(panel, example_folder.catalogues[1], method="power_sum", method_params={"v": 1})


def test_register_refuses_a_taken_name():
    with pytest.raises(ValueError, match="already registered"):
        ranking_methods.register(RankingMethod("topsis", "selection.rank.topsis"))
    with pytest.raises(ValueError, match="built-in"):
        ranking_methods.unregister("vikor")


def test_scenario_overrides_every_shared_stage_setting():
    from selection.model import Stage, StageOverride
    from selection.overrides import REPLACED_STAGE_FIELDS

    shared = set(Stage.model_fields) & set(StageOverride.model_fields)
    assert set(REPLACED_STAGE_FIELDS) == shared - {"constraints", "forced"}
    assert {"ranking_method", "ranking_params"} <= set(REPLACED_STAGE_FIELDS)


def test_the_registry_and_the_model_import_no_numpy():
    code = textwrap.dedent("""
        import sys
        import selection.model, selection.ranking_methods
        print(sorted(m for m in sys.modules if m.split('.')[0] in ('numpy', 'pandas')))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"

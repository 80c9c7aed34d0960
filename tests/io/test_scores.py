"""Score CSVs: long and wide layouts, Danish dialect, and the errors they must produce."""

from __future__ import annotations

import pytest

from selection.errors import ScoreSheetError
from selection.io.scores import ScoreContext, cell_name, read_score_files
from selection.io.tables import read_applications, read_experts
from selection.io.toml import load_call
from selection.io.workbook import SCORES_SHEET


@pytest.fixture(scope="module")
def ctx(example_dir):
    call, cats = load_call(example_dir / "call.toml")
    apps = {a.id: a for a in read_applications(example_dir / "applications.csv", call.attributes)}
    experts = {e.id: e for e in read_experts(example_dir / "experts.csv", set(apps))}
    return ScoreContext(cats[1], apps, experts, sheet_key=bytes(range(32)))  # conftest TEST_KEY


def test_cell_name():
    assert cell_name(0, 1) == "A1" and cell_name(3, 7) == "D7" and cell_name(26, 2) == "AA2"


def test_example_score_files_read(example_dir, ctx):
    files = sorted((example_dir / "scores" / "stage1").glob("*.csv"))
    frame = read_score_files(files, ctx, example_dir)
    assert set(frame["expert_id"]) == set(ctx.experts)
    assert frame["score"].dropna().between(0, 5).all()
    # the Danish Excel exports (semicolon, decimal comma, cp1252) are among them
    assert any((f.read_bytes().count(b";") > 10) for f in files)


def test_long_and_wide_and_danish_give_same_scores(tmp_path, ctx):
    crits = ctx.catalogue.criterion_ids
    vals = ["3.5", "4", "2", "abstain", "5", "0.5", "1", "3"]
    long = "expert_id,application_id,criterion_id,score,comment\n" + "".join(
        f"E01,KP-01,{c},{v},\n" for c, v in zip(crits, vals, strict=True))
    wide = "expert_id,application_id," + ",".join(crits) + ",comment\nE01,KP-01," + ",".join(vals) + ",ok\n"
    danish = ("expert_id;application_id;" + ";".join(crits) + ";comment\nE01;KP-01;"
              + ";".join(v.replace(".", ",").replace("abstain", "afstår") for v in vals) + ";Søren\n")
    out = []
    for name, text, enc in (("l.csv", long, "utf-8"), ("w.csv", wide, "utf-8"), ("d.csv", danish, "cp1252")):
        f = tmp_path / name
        f.write_bytes(text.encode(enc))
        out.append(read_score_files([f], ctx).set_index("criterion_id")["score"])
    assert out[0].equals(out[1]) and out[1].equals(out[2])
    assert out[0].isna().sum() == 1


def test_every_problem_reported_with_cell(tmp_path, ctx):
    crits = ctx.catalogue.criterion_ids
    text = "expert_id,application_id," + ",".join(crits) + "\n"
    text += "E01,KP-01,7,3.25,tre,,1,1,1,1\n"        # out of scale, off grid, text, missing
    text += "E99,KP-99,1,1,1,1,1,1,1,1\n"            # unknown expert and application
    text += "E02,KP-03,1,1,1,1,1,1,1,1\n"            # E02 declared a conflict with KP-03
    f = tmp_path / "bad.csv"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(ScoreSheetError) as exc:
        read_score_files([f], ctx)
    msg = str(exc.value)
    assert 'bad.csv, cell C2: 7 is outside the scale 0–5 of criterion "Værditilvækst / Value added"' in msg
    assert "cell D2: 3.25 is not on the step grid" in msg
    assert "cell E2: 'tre' is not a number" in msg
    assert "cell F2: missing score for criterion" in msg
    assert "cell A3: unknown expert 'E99'" in msg and "unknown application 'KP-99'" in msg
    assert "expert E02 declared a conflict of interest with KP-03 but scored it" in msg


def test_duplicate_across_files(tmp_path, ctx):
    c = ctx.catalogue.criterion_ids[0]
    for name in ("a.csv", "b.csv"):
        (tmp_path / name).write_text(f"expert_id,application_id,criterion_id,score\nE01,KP-01,{c},3\n", encoding="utf-8")
    with pytest.raises(ScoreSheetError, match=f"expert E01 scored application KP-01 on criterion {c} 2 times"):
        read_score_files([tmp_path / "a.csv", tmp_path / "b.csv"], ctx)


def test_wide_comment_joins_criterion_and_general_comment(tmp_path, ctx):
    crits = ctx.catalogue.criterion_ids
    text = ("expert_id;application_id;" + ";".join(crits) + f";comment_{crits[0]};comment\n"
            "E01;KP-01;" + ";".join("3" for _ in crits) + ";for svag;Samlet: god\n")
    f = tmp_path / "w.csv"
    f.write_bytes(text.encode("cp1252"))
    frame = read_score_files([f], ctx).set_index("criterion_id")["comment"]
    assert frame[crits[0]] == "for svag | Samlet: god" and frame[crits[1]] == "Samlet: god"


def test_xlsx_and_csv_are_read_together(tmp_path, ctx, kp, sheet_tools):
    call, full_ctx = kp
    p = sheet_tools.make(tmp_path / "E02.xlsx", call, full_ctx, "E02", ["KP-01"])
    sheet_tools.fill(p, {("KP-01", c): 2.5 for c in ctx.catalogue.criterion_ids})
    c = ctx.catalogue.criterion_ids[0]
    (tmp_path / "e01.csv").write_text(f"expert_id,application_id,criterion_id,score\nE01,KP-01,{c},3\n",
                                      encoding="utf-8")
    frame = read_score_files([tmp_path / "E02.xlsx", tmp_path / "e01.csv"], ctx, tmp_path)
    assert sorted(set(frame["source_file"])) == ["E02.xlsx", "e01.csv"]
    assert set(frame[frame.expert_id == "E02"]["sheet"]) == {SCORES_SHEET}
    assert frame[frame.expert_id == "E02"]["score"].eq(2.5).all()


def test_blank_file_is_one_problem(tmp_path, ctx):
    crits = ctx.catalogue.criterion_ids
    text = "expert_id,application_id," + ",".join(crits) + "\n" + "".join(
        f"E01,KP-0{i}," + "," * (len(crits) - 1) + "\n" for i in (1, 2))
    f = tmp_path / "blank.csv"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(ScoreSheetError) as exc:
        read_score_files([f], ctx)
    assert len(exc.value.problems) == 1
    assert "blank.csv: no score is filled in (16 empty score cells, first C2)" in str(exc.value)
    # one filled score: every empty cell is reported again
    f.write_text(text.replace("E01,KP-01,", "E01,KP-01,3", 1), encoding="utf-8")
    with pytest.raises(ScoreSheetError) as exc:
        read_score_files([f], ctx)
    assert len(exc.value.problems) == 15

"""CSV dialects: separators, decimal commas, encodings."""

from __future__ import annotations

import pytest

from selection.errors import InputError
from selection.io.csvfile import parse_bool, parse_money, parse_number, read_csv


@pytest.mark.parametrize("encoding,bom", [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("cp1252", b"")])
@pytest.mark.parametrize("sep", [",", ";"])
def test_danish_letters_survive_every_encoding(tmp_path, encoding, bom, sep):
    text = f"navn{sep}by\nSøren Ærø{sep}Århus\n"
    f = tmp_path / "x.csv"
    f.write_bytes(bom + text.encode(encoding))
    t = read_csv(f)
    assert t.separator == sep
    assert t.rows[0].values == {"navn": "Søren Ærø", "by": "Århus"}
    assert t.rows[0].line == 2


def test_excel_crlf_and_quoted_separator(tmp_path):
    f = tmp_path / "x.csv"
    f.write_bytes('a;b\r\n"x;y";"3,5"\r\n'.encode("cp1252"))
    t = read_csv(f)
    assert t.rows[0].values == {"a": "x;y", "b": "3,5"}


def test_empty_file_and_too_many_values(tmp_path):
    f = tmp_path / "e.csv"
    f.write_bytes(b"")
    with pytest.raises(InputError, match="e.csv: the file is empty"):
        read_csv(f)
    g = tmp_path / "g.csv"
    g.write_text("a,b\n1,2,3\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"g.csv, row 2: 3 values but the header has 2 columns"):
        read_csv(g)


def test_numbers_money_bools():
    assert parse_number("3,5") == 3.5 and parse_number("-1") == -1.0 and parse_number("tre") is None
    assert parse_number("1.2.3") is None
    assert parse_money("250.000") == 250000 and parse_money("2 500 000") == 2500000 and parse_money("2,5") is None
    assert parse_bool("ja") is True and parse_bool("nej") is False and parse_bool("måske") is None

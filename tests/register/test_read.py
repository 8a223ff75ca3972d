from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from register import ReadError, load_extract, read_text_table


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_written_extract_reads_back_identical(small_files, kind, as_of):
    extract = load_extract(small_files[kind], as_of=as_of)
    pd.testing.assert_frame_equal(extract.frame, small_files["frame"], check_dtype=False)
    assert len(extract.sha256) == 64 and not extract.as_of_inferred


def test_csv_and_parquet_read_as_the_same_text(small_files):
    csv_text = read_text_table(small_files["csv"])
    parquet_text = read_text_table(small_files["parquet"])
    pd.testing.assert_frame_equal(csv_text, parquet_text)
    assert (csv_text["disability"].isin(["true", "false"])).all()


def test_as_of_defaults_to_the_latest_date(small_files):
    extract = load_extract(small_files["csv"])
    latest = max(extract.frame["registered_on"].max(), extract.frame["exited_on"].max())
    assert extract.as_of_inferred and extract.as_of == latest.date()


def test_rows_with_missing_fields_are_a_read_error(tmp_path, small_files):
    lines = small_files["csv"].read_text(encoding="utf-8").splitlines()
    lines[3] = ",".join(lines[3].split(",")[:-2])
    path = tmp_path / "short.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ReadError, match="row 3 has 11 fields, the header 13"):
        read_text_table(path)


def test_rows_with_extra_fields_are_a_read_error(tmp_path, small_files):
    lines = small_files["csv"].read_text(encoding="utf-8").splitlines()
    lines[5] += ",surplus"
    path = tmp_path / "long.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ReadError, match="row 5 has 14 fields, the header 13"):
        read_text_table(path)


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("repeated.csv", "person_id,person_id\na,b\n", "more than once"),
        ("empty.csv", "", "empty"),
        ("latin1.csv", "person_id\nK\xf6\n", "not UTF-8"),
        ("table.xlsx", "x", "expected a .csv or .parquet"),
        ("broken.parquet", "not parquet", "not a readable Parquet"),
    ],
)
def test_unreadable_files_are_named_with_the_reason(tmp_path, name, content, fragment):
    path = tmp_path / name
    path.write_bytes(content.encode("latin-1"))
    with pytest.raises(ReadError, match=fragment):
        read_text_table(path)


def test_missing_file_is_a_read_error(tmp_path):
    with pytest.raises(ReadError, match="no such file"):
        read_text_table(tmp_path / "absent.csv")


def test_parquet_timestamps_with_a_time_are_not_taken_for_dates(tmp_path, small_files):
    frame = small_files["frame"].head(5).copy()
    table = pa.Table.from_pandas(frame.astype({c: object for c in frame.select_dtypes("category")}),
                                 preserve_index=False)
    path = tmp_path / "stamps.parquet"
    pq.write_table(table, path)
    text = read_text_table(path)
    assert text["registered_on"].str.contains(" ").all()


@pytest.mark.parametrize(("delimiter", "name", "option"), [(";", "semicolon", "--delimiter ';'"),
                                                           ("\t", "tab", "--delimiter '\\t'")])
def test_a_file_separated_otherwise_is_named_and_read_when_told(tmp_path, small_files, delimiter, name, option):
    text = small_files["csv"].read_text(encoding="utf-8").replace(",", delimiter)  # the small register has no commas
    path = tmp_path / "excel.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ReadError) as refused:
        read_text_table(path)
    message = str(refused.value)
    assert f"names separated by {name}s (person_id, registered_on, exited_on, ...)" in message
    assert f"looks {name}-separated" in message and option in message
    pd.testing.assert_frame_equal(read_text_table(path, delimiter=delimiter), read_text_table(small_files["csv"]))
    assert load_extract(path, delimiter=delimiter).sha256 != load_extract(small_files["csv"]).sha256  # the file's own
    with pytest.raises(ReadError, match="a delimiter is one of"):
        read_text_table(path, delimiter="|")


def test_a_byte_order_mark_is_not_part_of_the_first_column_name(tmp_path, small_files):
    path = tmp_path / "excel-utf8.csv"
    path.write_bytes(b"\xef\xbb\xbf" + small_files["csv"].read_bytes().replace(b",", b";"))
    with pytest.raises(ReadError, match=r"\(person_id, registered_on, exited_on, \.\.\.\)"):
        read_text_table(path)
    pd.testing.assert_frame_equal(read_text_table(path, delimiter=";"), read_text_table(small_files["csv"]))

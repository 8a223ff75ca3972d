"""``write_atomically``: whole or not at all, mode 0600 whatever the umask, never through a planted name."""

from __future__ import annotations

import os
import stat

import pytest

from models import write_atomically


@pytest.fixture
def umask():
    """Set the process's umask for one test, then put the old one back."""
    old = os.umask(0o022)
    yield os.umask
    os.umask(old)


def _mode(path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


@pytest.mark.parametrize("mask", [0o000, 0o022, 0o277])
def test_a_new_file_is_private_whatever_the_umask(tmp_path, umask, mask):
    umask(mask)
    written = write_atomically(tmp_path / "out.csv", lambda handle: handle.write(b"a,b\n"))
    assert written == tmp_path / "out.csv" and written.read_bytes() == b"a,b\n"
    assert _mode(written) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]  # no temporary file left


def test_a_replaced_file_becomes_private(tmp_path, umask):
    target = tmp_path / "out.csv"
    target.write_bytes(b"old\n")
    target.chmod(0o644)
    write_atomically(target, lambda handle: handle.write(b"new\n"))
    assert target.read_bytes() == b"new\n" and _mode(target) == 0o600


def test_a_planted_partial_name_is_never_written_through(tmp_path, umask):
    # The old scheme wrote to .NAME.partial (and NAME.partial): a symlink there led the export into the victim.
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"precious\n")
    for name in (".out.csv.partial", "out.csv.partial"):
        (tmp_path / name).symlink_to(victim)
    write_atomically(tmp_path / "out.csv", lambda handle: handle.write(b"export\n"))
    assert victim.read_bytes() == b"precious\n"
    assert (tmp_path / "out.csv").read_bytes() == b"export\n" and not (tmp_path / "out.csv").is_symlink()


def test_a_symlink_at_the_target_is_replaced_not_followed(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"precious\n")
    (tmp_path / "out.csv").symlink_to(victim)
    write_atomically(tmp_path / "out.csv", lambda handle: handle.write(b"export\n"))
    assert victim.read_bytes() == b"precious\n" and not (tmp_path / "out.csv").is_symlink()


@pytest.mark.parametrize("existing", ["file", "dangling symlink"])
def test_without_overwrite_an_existing_target_is_left_alone(tmp_path, existing):
    target = tmp_path / "out.csv"
    if existing == "file":
        target.write_bytes(b"earlier\n")
    else:
        target.symlink_to(tmp_path / "nowhere")
    with pytest.raises(FileExistsError, match=r"out\.csv already exists"):
        write_atomically(target, lambda handle: handle.write(b"new\n"), overwrite=False)
    assert os.path.lexists(target) and target.is_symlink() == (existing != "file")
    if existing == "file":
        assert target.read_bytes() == b"earlier\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


def test_without_overwrite_a_new_target_is_written_durably(tmp_path):
    written = write_atomically(tmp_path / "a.parquet", lambda handle: handle.write(b"x"), overwrite=False,
                               durable=True)
    assert written.read_bytes() == b"x" and _mode(written) == 0o600


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "out.csv"
    target.write_bytes(b"old\n")

    def half(handle) -> None:
        handle.write(b"half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        write_atomically(target, half)
    assert target.read_bytes() == b"old\n" and [p.name for p in tmp_path.iterdir()] == ["out.csv"]
    with pytest.raises(FileNotFoundError):
        write_atomically(tmp_path / "missing" / "out.csv", lambda handle: handle.write(b"x"))

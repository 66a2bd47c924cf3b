"""scripts/add_bytecode.py on small zips made here, without building the Lambda package."""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from scripts import add_bytecode

MODULE_SOURCE = b"VALUE = 42\n"
PACKAGE_SOURCE = b'"""A package."""\n'
# Python 2 syntax, as in test files that some packages still ship.
PYTHON2_SOURCE = b'print "hello"\n'
DATA = b'{"a": 1}\n'
# Flags word of a .pyc header (PEP 552): bit 0 hash-based, bit 1 check the source.
CHECKED_HASH_FLAGS = 0b11


@pytest.fixture
def small_zip(tmp_path) -> Path:
    path = tmp_path / "dist" / "deployment.zip"
    path.parent.mkdir()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("app.py", b"import pkg.mod\n")
        archive.writestr("pkg/__init__.py", PACKAGE_SOURCE)
        archive.writestr("pkg/mod.py", MODULE_SOURCE)
        archive.writestr("pkg/data.json", DATA)
        archive.writestr("legacy/old_test.py", PYTHON2_SOURCE)
        # A timestamp-based .pyc from a work tree, which the script must replace.
        archive.writestr("pkg/__pycache__/mod.cpython-311.pyc", b"stale bytecode")
    path.chmod(0o644)
    return path


def read_entries(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        assert len(names) == len(set(names)), f"duplicate entries in {path}: {names}"
        return {name: archive.read(name) for name in names}


def pyc_header(pyc: bytes) -> tuple[bytes, int, bytes]:
    """Return the magic number, the flags and the source hash of a hash-based .pyc."""
    return pyc[:4], int.from_bytes(pyc[4:8], "little"), pyc[8:16]


def extract(path: Path, folder: Path) -> Path:
    with zipfile.ZipFile(path) as archive:
        archive.extractall(folder)
    return folder


def import_verbose(folder: Path, module: str) -> str:
    """Import `module` from `folder` in a fresh interpreter that writes no bytecode and return its -v output.

    -I ignores PYTHONPYCACHEPREFIX, which would make Python look for bytecode
    somewhere other than __pycache__.
    """
    result = subprocess.run([sys.executable, "-I", "-S", "-B", "-v", "-c",
                             f"import sys; sys.path.insert(0, sys.argv[1]); import {module}", str(folder)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stderr


def test_pyc_name_in_pycache_folder():
    assert add_bytecode.pyc_name("app.py") == "__pycache__/app.cpython-311.pyc"
    assert add_bytecode.pyc_name("chalicelib/db.py") == "chalicelib/__pycache__/db.cpython-311.pyc"
    assert add_bytecode.pyc_name("a/b/__init__.py") == "a/b/__pycache__/__init__.cpython-311.pyc"


def test_adds_pyc_for_each_module(small_zip):
    result = add_bytecode.add_bytecode(small_zip)

    entries = read_entries(small_zip)
    assert result.compiled == 3
    for name in ("app.py", "pkg/__init__.py", "pkg/mod.py"):
        assert add_bytecode.pyc_name(name) in entries, name
    assert entries["pkg/data.json"] == DATA
    assert entries["pkg/mod.py"] == MODULE_SOURCE


def test_pyc_header_is_checked_hash(small_zip):
    add_bytecode.add_bytecode(small_zip)

    entries = read_entries(small_zip)
    magic, flags, source_hash = pyc_header(entries["pkg/__pycache__/mod.cpython-311.pyc"])
    assert magic == importlib.util.MAGIC_NUMBER
    assert flags == CHECKED_HASH_FLAGS
    assert source_hash == importlib.util.source_hash(MODULE_SOURCE)


def test_replaces_stale_pyc(small_zip):
    add_bytecode.add_bytecode(small_zip)

    pyc = read_entries(small_zip)["pkg/__pycache__/mod.cpython-311.pyc"]
    assert pyc != b"stale bytecode"
    assert pyc_header(pyc)[2] == importlib.util.source_hash(MODULE_SOURCE)


def test_skips_source_that_fails_to_compile(small_zip, capsys):
    result = add_bytecode.add_bytecode(small_zip)

    entries = read_entries(small_zip)
    assert result.skipped == ["legacy/old_test.py"]
    assert entries["legacy/old_test.py"] == PYTHON2_SOURCE
    assert add_bytecode.pyc_name("legacy/old_test.py") not in entries
    assert "legacy/old_test.py" in capsys.readouterr().err


def test_second_run_changes_no_entry(small_zip):
    add_bytecode.add_bytecode(small_zip)
    first = read_entries(small_zip)

    add_bytecode.add_bytecode(small_zip)

    assert read_entries(small_zip) == first


def test_keeps_zip_file_mode(small_zip):
    add_bytecode.add_bytecode(small_zip)

    assert small_zip.stat().st_mode & 0o777 == 0o644


def test_python_loads_extracted_pyc(small_zip, tmp_path):
    add_bytecode.add_bytecode(small_zip)
    code = extract(small_zip, tmp_path / "code")
    # Unpacking gives the files arbitrary times, which a hash-based .pyc ignores.
    os.utime(code / "pkg" / "mod.py", (0, 0))

    output = import_verbose(code, "pkg.mod")

    pyc = code / "pkg" / "__pycache__" / "mod.cpython-311.pyc"
    assert f"# {pyc} matches {code / 'pkg' / 'mod.py'}" in output


def test_python_rejects_pyc_of_edited_source(small_zip, tmp_path):
    add_bytecode.add_bytecode(small_zip)
    code = extract(small_zip, tmp_path / "code")
    (code / "pkg" / "mod.py").write_bytes(b"VALUE = 43\n")

    output = import_verbose(code, "pkg.mod")

    assert "mod.cpython-311.pyc matches" not in output


def test_failure_leaves_zip_unchanged(small_zip, monkeypatch):
    before = small_zip.read_bytes()

    def fail(*_arguments):
        raise OSError("disk full")

    monkeypatch.setattr(add_bytecode, "compile_source", fail)
    with pytest.raises(OSError, match="disk full"):
        add_bytecode.add_bytecode(small_zip)

    assert small_zip.read_bytes() == before
    assert sorted(path.name for path in small_zip.parent.iterdir()) == ["deployment.zip"]


def test_main_rejects_other_python_version(small_zip, monkeypatch, capsys):
    before = small_zip.read_bytes()
    monkeypatch.setattr(add_bytecode, "RUNTIME_CACHE_TAG", "cpython-399")

    status = add_bytecode.main([str(small_zip)])

    assert status == add_bytecode.EXIT_WRONG_INTERPRETER
    assert "cpython-399" in capsys.readouterr().err
    assert small_zip.read_bytes() == before


def test_main_reports_missing_zip(tmp_path, capsys):
    status = add_bytecode.main([str(tmp_path / "missing.zip")])

    assert status == add_bytecode.EXIT_INVALID_ZIP
    assert "missing.zip" in capsys.readouterr().err


def test_main_names_zip_in_missing_folder(tmp_path, capsys):
    status = add_bytecode.main([str(tmp_path / "no-folder" / "deployment.zip")])

    error = capsys.readouterr().err
    assert status == add_bytecode.EXIT_INVALID_ZIP
    assert "no-folder/deployment.zip" in error
    assert ".tmp" not in error


def test_main_rejects_zip_without_sources(tmp_path, capsys):
    empty = tmp_path / "empty.zip"
    with zipfile.ZipFile(empty, "w"):
        pass

    status = add_bytecode.main([str(empty)])

    assert status == add_bytecode.EXIT_INVALID_ZIP
    assert "no .py file" in capsys.readouterr().err


def test_error_without_line_names_no_line():
    try:
        compile("x = 1\0", "bad.py", "exec")
    except (SyntaxError, ValueError) as error:
        cause = error
    described = add_bytecode._describe_error(add_bytecode.py_compile.PyCompileError(type(cause), cause, "bad.py"))

    assert "None" not in described


def test_main_prints_counts(small_zip, capsys):
    status = add_bytecode.main([str(small_zip)])

    assert status == 0
    assert "Added 3 .pyc files" in capsys.readouterr().out

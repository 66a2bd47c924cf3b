"""Add CPython 3.11 bytecode for every .py file to a Lambda deployment zip.

Lambda unpacks the zip into /var/task, which is read-only, so Python cannot
store the bytecode it compiles there. Without .pyc files in the zip, every
cold start compiles each module it imports from source. `make package` runs
this script on the zip that `chalice package` writes.

Each file `pkg/mod.py` gets `pkg/__pycache__/mod.cpython-311.pyc`, written in
py_compile's CHECKED_HASH mode. Python accepts such a file when its stored
hash of the source matches the .py beside it, whatever modification times the
unpacked files get. An entry already at that name, such as a .pyc that
Chalice copied from a work tree's __pycache__, is replaced.

    .venv/bin/python scripts/add_bytecode.py dist/deployment.zip

The interpreter must be CPython 3.11, the version of Lambda's python3.11
runtime. Should the runtime's bytecode magic number still differ, Python
ignores these files and compiles the sources as it would without them. A file
that does not compile (some packages ship test files for Python 2) gets no
.pyc and is listed on standard error.
"""
from __future__ import annotations

import argparse
import os
import posixpath
import py_compile
import stat
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

# Lambda's runtime is python3.11, and bytecode is specific to a minor version.
RUNTIME_CACHE_TAG = "cpython-311"
EXIT_WRONG_INTERPRETER = 2
EXIT_INVALID_ZIP = 3
PYC_MODE = 0o644


@dataclass
class BytecodeResult:
    """Counts of one run: .pyc files added and .py files that did not compile."""

    compiled: int = 0
    skipped: list[str] = field(default_factory=list)


def check_interpreter(cache_tag: str | None) -> None:
    """Raise RuntimeError unless `cache_tag`, an interpreter's sys.implementation.cache_tag, is Lambda's."""
    if cache_tag != RUNTIME_CACHE_TAG:
        raise RuntimeError(
            f"this interpreter writes bytecode tagged {cache_tag}, but Lambda's python3.11 runtime "
            f"loads only {RUNTIME_CACHE_TAG}; run the script with a CPython 3.11 interpreter, "
            "such as the project's .venv/bin/python")


def pyc_name(source_name: str) -> str:
    """Return the archive name of the bytecode for `source_name`, such as a/__pycache__/b.cpython-311.pyc for a/b.py."""
    folder, file_name = posixpath.split(source_name)
    stem = file_name[:-len(".py")]
    return posixpath.join(folder, "__pycache__", f"{stem}.{RUNTIME_CACHE_TAG}.pyc")


def compile_source(source: bytes, source_name: str, work_dir: Path) -> bytes:
    """Compile `source` to the bytes of a CHECKED_HASH .pyc file.

    py_compile works on files, so the source is written under `work_dir`.
    Tracebacks name `source_name`, the path inside the zip, until the import
    system replaces it with the real path at load time.

    :raises py_compile.PyCompileError: when the source does not compile.
    """
    source_path = work_dir / "source.py"
    pyc_path = work_dir / "source.pyc"
    source_path.write_bytes(source)
    # optimize=0 because Lambda runs Python without -O, and the name of an
    # optimized .pyc carries an "opt-N" tag that the runtime would not look for.
    py_compile.compile(str(source_path), cfile=str(pyc_path), dfile=source_name, doraise=True,
                       optimize=0, invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH)
    return pyc_path.read_bytes()


def add_bytecode(zip_path: Path) -> BytecodeResult:
    """Rewrite the zip at `zip_path` with a .pyc beside every .py file that compiles.

    The new zip is written next to the old one and then moved over it, so an
    error leaves the old zip as it was.

    :raises FileNotFoundError: when `zip_path` does not exist.
    :raises ValueError: when the zip contains no .py file, so it cannot be a deployment package.
    """
    if not zip_path.is_file():
        raise FileNotFoundError(f"no file at {zip_path}")
    handle, temporary_name = tempfile.mkstemp(dir=zip_path.parent, prefix=f".{zip_path.name}.", suffix=".tmp")
    os.close(handle)
    temporary_zip = Path(temporary_name)
    try:
        with zipfile.ZipFile(zip_path) as source_zip:
            result = _copy_with_bytecode(source_zip, temporary_zip)
        # mkstemp creates the file readable by its owner only, so copy the old zip's mode.
        temporary_zip.chmod(stat.S_IMODE(zip_path.stat().st_mode))
        os.replace(temporary_zip, zip_path)
    except BaseException:
        temporary_zip.unlink(missing_ok=True)
        raise
    return result


def _copy_with_bytecode(source_zip: zipfile.ZipFile, target_path: Path) -> BytecodeResult:
    result = BytecodeResult()
    sources = [info for info in source_zip.infolist() if not info.is_dir() and info.filename.endswith(".py")]
    if not sources:
        raise ValueError("the zip contains no .py file")
    replaced = {pyc_name(info.filename) for info in sources}
    with zipfile.ZipFile(target_path, "w", zipfile.ZIP_DEFLATED) as target_zip, \
            tempfile.TemporaryDirectory(prefix="add-bytecode-") as work:
        for info in source_zip.infolist():
            if info.filename not in replaced:
                target_zip.writestr(info, source_zip.read(info))

        for info in sources:
            try:
                bytecode = compile_source(source_zip.read(info), info.filename, Path(work))
            except py_compile.PyCompileError as error:
                result.skipped.append(info.filename)
                print(f"note: {info.filename} does not compile under Python 3.11, so it gets no .pyc: "
                      f"{_describe_error(error)}", file=sys.stderr)
                continue
            target_zip.writestr(_pyc_info(info), bytecode)
            result.compiled += 1
    return result


def _pyc_info(source_info: zipfile.ZipInfo) -> zipfile.ZipInfo:
    # The source's timestamp keeps the zip reproducible. A CHECKED_HASH .pyc
    # does not compare timestamps, so any value works.
    info = zipfile.ZipInfo(pyc_name(source_info.filename), date_time=source_info.date_time)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = (0o100000 | PYC_MODE) << 16
    return info


def _describe_error(error: py_compile.PyCompileError) -> str:
    cause = error.exc_value
    if isinstance(cause, SyntaxError) and cause.lineno is not None:
        return f"{type(cause).__name__} at line {cause.lineno}: {cause.msg}"
    if isinstance(cause, SyntaxError):
        return f"{type(cause).__name__}: {cause.msg}"
    return f"{type(cause).__name__}: {cause}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/add_bytecode.py", description=__doc__.splitlines()[0])
    parser.add_argument("zip_path", type=Path, metavar="ZIP", help="the deployment zip to rewrite in place")
    arguments = parser.parse_args(argv)

    try:
        check_interpreter(sys.implementation.cache_tag)
    except RuntimeError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_WRONG_INTERPRETER
    try:
        result = add_bytecode(arguments.zip_path)
    except (OSError, zipfile.BadZipFile, ValueError) as error:
        print(f"error: failed to add bytecode to {arguments.zip_path}: {error}. "
              "Pass the deployment.zip that `chalice package` wrote.", file=sys.stderr)
        return EXIT_INVALID_ZIP

    print(f"Added {result.compiled} .pyc files to {arguments.zip_path}; "
          f"{len(result.skipped)} .py files did not compile and have none.")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The deployment package: `make package` output, checked without an AWS account.

The package step runs once for this module, with the same make target as
`make package`, into a temporary folder. It took one to two minutes on the
2-core development machine, mostly for Chalice downloading Lambda-compatible
wheels, so this module needs PyPI to be reachable.

The tests check the merged SAM template: cfn-lint finds no error, and every
Chalice function gets its policy, settings, log group and alarms. They also
check deployment.zip: it fits Lambda's size limits, its native code comes
only from manylinux wheels that the Python 3.11 runtime can load, it has
bytecode that Python accepts for the app's modules, and it imports.
"""
from __future__ import annotations

import csv
import importlib.util
import io
import json
import re
import shutil
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path

import pytest
import yaml

from scripts.add_bytecode import pyc_name

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent

# Lambda's limits for a function's code (AWS Lambda developer guide, "Lambda
# quotas"): 50 MB zipped for a direct upload, 250 MB unzipped.
MAX_ZIPPED_BYTES = 50 * 1024 * 1024
MAX_UNZIPPED_BYTES = 250 * 1024 * 1024
# The python3.11 runtime runs on Amazon Linux 2, whose glibc is 2.26, so a
# wheel must be tagged manylinux_2_X with X <= 26 (chalice 1.34 uses the same
# figure in DependencyBuilder._RUNTIME_GLIBC).
RUNTIME_GLIBC = (2, 26)
RUNTIME_ABIS = ("cp311", "abi3", "none")
# Flags word of a .pyc header (PEP 552): bit 0 hash-based, bit 1 check the source.
CHECKED_HASH_FLAGS = 0b11
LEGACY_MANYLINUX = {"manylinux1": (2, 5), "manylinux2010": (2, 12), "manylinux2014": (2, 17)}
HEAVY_PACKAGES = ("PIL", "captcha", "jinja2")
# Settings that infra/resources.yaml sets on every function, replacing any
# value from .chalice/config.json.
FUNCTION_SETTINGS = ("TABLE_PREFIX", "SITE_ORIGIN", "SITE_URL", "MAIL_FROM", "LEDGER_BUCKET")
PACKAGE_TIMEOUT_SECONDS = 900

# `pytest -m "not slow"` skips this module; `make test` runs it.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(PACKAGE_TIMEOUT_SECONDS + 300)]


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    """Run `make package` into a temporary folder and return that folder."""
    if shutil.which("make") is None:
        pytest.fail("make is not installed; the package step runs through infra/package.mk")
    folder = tmp_path_factory.mktemp("dist")
    command = ["make", "--no-print-directory", "-f", "infra/package.mk", "package",
               "STAGE=prod", f"DIST={folder}", f"CHALICE={VENV_BIN / 'chalice'}", f"PACKAGE_PYTHON={sys.executable}"]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True,
                            timeout=PACKAGE_TIMEOUT_SECONDS)
    assert result.returncode == 0, f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}"
    return folder


@pytest.fixture(scope="module")
def template(dist) -> dict:
    return yaml.safe_load((dist / "sam.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def archive(dist):
    with zipfile.ZipFile(dist / "deployment.zip") as opened:
        yield opened


def resources_of_type(template: dict, resource_type: str) -> dict[str, dict]:
    return {logical_id: resource for logical_id, resource in template["Resources"].items()
            if isinstance(resource, dict) and resource.get("Type") == resource_type}


# ---------------------------------------------------------------- the template

def test_package_writes_template_and_zip(dist):
    assert (dist / "sam.yaml").is_file()
    assert (dist / "deployment.zip").is_file()


def test_cfn_lint_finds_no_errors(dist):
    result = subprocess.run([str(VENV_BIN / "cfn-lint"), "--format", "json", str(dist / "sam.yaml")],
                            capture_output=True, text=True, timeout=300)
    assert result.stdout.strip(), f"cfn-lint printed nothing: {result.stderr}"
    matches = json.loads(result.stdout)
    errors = [match for match in matches if match["Level"] == "Error"]
    for match in matches:
        if match["Level"] != "Error":
            warnings.warn(f"cfn-lint {match['Rule']['Id']} at {'/'.join(map(str, match['Location']['Path']))}: "
                          f"{match['Message']}")
    assert not errors, "cfn-lint errors:\n" + "\n".join(
        f"{match['Rule']['Id']} {'/'.join(map(str, match['Location']['Path']))}: {match['Message']}"
        for match in errors)


def test_merge_leaves_no_partial_resource(template):
    untyped = sorted(logical_id for logical_id, resource in template["Resources"].items()
                     if not logical_id.startswith("Fn::ForEach::") and "Type" not in resource)
    assert not untyped, (f"infra/resources.yaml adds properties to {untyped}, which Chalice does not "
                         "declare; rename them after the resources in Chalice's template")


def test_transforms_in_required_order(template):
    assert template["Transform"] == ["AWS::LanguageExtensions", "AWS::Serverless-2016-10-31"]


def test_every_role_gets_data_policy(template):
    attached = {role["Ref"] for role in template["Resources"]["DataAccessPolicy"]["Properties"]["Roles"]}
    roles = set(resources_of_type(template, "AWS::IAM::Role"))
    assert roles, "the packaged template has no IAM role"
    assert roles == attached, (f"roles without DataAccessPolicy: {sorted(roles - attached)}; "
                               f"policy names missing roles: {sorted(attached - roles)}")


@pytest.fixture(scope="module")
def functions(template) -> dict[str, dict]:
    found = resources_of_type(template, "AWS::Serverless::Function")
    assert "APIHandler" in found
    return found


def test_every_function_gets_template_settings(template, functions):
    for logical_id, function in functions.items():
        variables = function["Properties"]["Environment"]["Variables"]
        for name in FUNCTION_SETTINGS:
            assert isinstance(variables.get(name), dict), (
                f"{logical_id}'s {name} is {variables.get(name)!r}, not the value from infra/resources.yaml")
        assert variables["STAGE"] == "prod", logical_id


def test_every_function_logs_to_own_group(template, functions):
    groups = resources_of_type(template, "AWS::Logs::LogGroup")
    used = []
    for logical_id, function in functions.items():
        reference = function["Properties"].get("LoggingConfig", {}).get("LogGroup", {}).get("Ref")
        assert reference in groups, f"{logical_id} has no LoggingConfig.LogGroup of its own in infra/resources.yaml"
        assert groups[reference]["Properties"]["RetentionInDays"] > 0
        used.append(reference)
    assert len(used) == len(set(used)), f"functions share a log group: {used}"


def _alarms_on(template: dict, namespace: str, metric: str) -> dict[str, dict]:
    return {logical_id: alarm["Properties"] for logical_id, alarm in
            resources_of_type(template, "AWS::CloudWatch::Alarm").items()
            if alarm["Properties"]["Namespace"] == namespace and alarm["Properties"]["MetricName"] == metric}


def test_every_function_has_errors_alarm(template, functions):
    watched = set()
    for alarm in _alarms_on(template, "AWS/Lambda", "Errors").values():
        dimension = alarm["Dimensions"][0]
        if dimension["Name"] == "FunctionName":
            watched.add(dimension["Value"].get("Ref"))
    missing = sorted(set(functions) - watched)
    assert not missing, f"functions without an Errors alarm in infra/resources.yaml: {missing}"


def job_name(logical_id: str) -> str:
    """Return the heartbeat's Job value of a scheduled function: DeadlineScan is deadline-scan."""
    return re.sub(r"(?<!^)(?=[A-Z])", "-", logical_id).lower()


def test_every_scheduled_function_has_heartbeat_alarm(template, functions):
    scheduled = [logical_id for logical_id, function in functions.items()
                 if any(event["Type"] == "Schedule" for event in function["Properties"].get("Events", {}).values())]
    heartbeats = {}
    for alarm in _alarms_on(template, "murojaat/Jobs", "Heartbeat").values():
        dimensions = {dimension["Name"]: dimension["Value"] for dimension in alarm["Dimensions"]}
        heartbeats[dimensions["Job"]] = alarm
    for logical_id in scheduled:
        job = job_name(logical_id)
        assert job in heartbeats, f"no heartbeat alarm with Job={job} for the scheduled function {logical_id}"
        assert heartbeats[job]["ComparisonOperator"] == "LessThanThreshold", job
        assert heartbeats[job]["TreatMissingData"] == "breaching", job


def test_scheduled_job_names_match_app():
    import app as app_module
    from chalice.app import ScheduledEventConfig

    source = (ROOT / "app.py").read_text(encoding="utf-8")
    for event_source in app_module.app.event_sources:
        if isinstance(event_source, ScheduledEventConfig):
            job = event_source.name.replace("_", "-")
            assert f'run_scheduled("{job}"' in source, (
                f"the heartbeat alarms assume {event_source.name} runs job {job}; rename one of them")


def test_every_alarm_notifies_topic(template):
    for logical_id, alarm in resources_of_type(template, "AWS::CloudWatch::Alarm").items():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": "AlarmTopic"}], logical_id


def test_api_is_regional_and_throttled(template):
    properties = template["Resources"]["RestAPI"]["Properties"]
    assert properties["EndpointConfiguration"] == "REGIONAL"
    stage_wide = [setting for setting in properties["MethodSettings"]
                  if setting["ResourcePath"] == "/*" and setting["HttpMethod"] == "*"]
    assert stage_wide and stage_wide[0]["ThrottlingRateLimit"] > 0
    paths = properties["DefinitionBody"]["paths"]
    for setting in properties["MethodSettings"]:
        if setting["ResourcePath"] != "/*":
            # "/~1v1~1captcha" is /v1/captcha: "~1" encodes each "/" after the leading one.
            path = setting["ResourcePath"][1:].replace("~1", "/")
            assert setting["HttpMethod"].lower() in paths.get(path, {}), f"no route {setting['HttpMethod']} {path}"


# ---------------------------------------------------------------- the zip

def test_zip_within_lambda_size_limits(dist, archive):
    zipped = (dist / "deployment.zip").stat().st_size
    unzipped = sum(info.file_size for info in archive.infolist())
    assert zipped < MAX_ZIPPED_BYTES, f"deployment.zip is {zipped} bytes zipped"
    assert unzipped < MAX_UNZIPPED_BYTES, f"deployment.zip is {unzipped} bytes unzipped"


def test_zip_contains_app_code(archive):
    names = set(archive.namelist())
    for required in ("app.py", "chalicelib/__init__.py", "chalicelib/data/agencies.json"):
        assert required in names
    assert not [name for name in names if name.startswith(("tests/", ".chalice/", "infra/", ".venv/"))]


def app_sources(archive: zipfile.ZipFile) -> list[str]:
    sources = [name for name in archive.namelist()
               if name == "app.py" or (name.startswith("chalicelib/") and name.endswith(".py"))]
    assert "chalicelib/__init__.py" in sources
    return sources


def test_zip_has_bytecode_for_app_code(archive):
    names = set(archive.namelist())
    missing = [name for name in app_sources(archive) if pyc_name(name) not in names]
    assert not missing, f"modules without a .pyc in deployment.zip: {missing}"


def test_zip_bytecode_matches_sources(archive):
    for name in app_sources(archive):
        pyc = archive.read(pyc_name(name))
        assert pyc[:4] == importlib.util.MAGIC_NUMBER, name
        assert int.from_bytes(pyc[4:8], "little") == CHECKED_HASH_FLAGS, name
        assert pyc[8:16] == importlib.util.source_hash(archive.read(name)), name


def test_zip_modules_load_from_bytecode(archive, tmp_path):
    """Import every app module from the unpacked zip and check in -v output that Python used each .pyc."""
    code = tmp_path / "code"
    archive.extractall(code)
    modules = [name[:-len(".py")].removesuffix("/__init__").replace("/", ".") for name in app_sources(archive)]
    # -I ignores PYTHONPYCACHEPREFIX, which would send Python to look for
    # bytecode outside __pycache__, and -B stops it writing any.
    script = (
        "import importlib, sys\n"
        "sys.path.insert(0, sys.argv[1])\n"
        "for name in sys.argv[2:]:\n"
        "    importlib.import_module(name)\n"
    )
    result = subprocess.run([sys.executable, "-I", "-B", "-v", "-c", script, str(code), *modules],
                            capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert result.returncode == 0, f"importing from deployment.zip failed:\n{result.stderr[-5000:]}"
    not_from_bytecode = [name for name in app_sources(archive)
                         if f"# {code / pyc_name(name)} matches {code / name}" not in result.stderr]
    assert not not_from_bytecode, f"Python compiled these modules from source: {not_from_bytecode}"


def _is_compatible_tag(tag: str) -> bool:
    _python, abi, platforms = tag.split("-")
    if abi not in RUNTIME_ABIS:
        return False
    for platform in platforms.split("."):
        if platform == "any":
            return True
        match = re.fullmatch(r"(manylinux\d*)_x86_64", platform)
        if match and LEGACY_MANYLINUX.get(match.group(1), (99, 0)) <= RUNTIME_GLIBC:
            return True
        match = re.fullmatch(r"manylinux_(\d+)_(\d+)_x86_64", platform)
        if match and (int(match.group(1)), int(match.group(2))) <= RUNTIME_GLIBC:
            return True
    return False


def _wheel_owners(archive: zipfile.ZipFile) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Return {file: distribution} from the RECORD files and {distribution: wheel tags}."""
    owners, tags = {}, {}
    for name in archive.namelist():
        if not re.fullmatch(r"[^/]+\.dist-info/RECORD", name):
            continue
        distribution = name.split("/")[0]
        for row in csv.reader(io.StringIO(archive.read(name).decode("utf-8"))):
            if row:
                owners[row[0]] = distribution
        wheel = archive.read(f"{distribution}/WHEEL").decode("utf-8")
        tags[distribution] = [line.split(":", 1)[1].strip() for line in wheel.splitlines() if line.startswith("Tag:")]
    return owners, tags


def test_native_code_comes_from_manylinux_wheels(archive):
    owners, tags = _wheel_owners(archive)
    native = [info.filename for info in archive.infolist()
              if not info.is_dir() and archive.open(info).read(4) == b"\x7fELF"]
    assert native, "no native code found; the check below would pass vacuously"
    problems = []
    for name in native:
        distribution = owners.get(name)
        if distribution is None:
            problems.append(f"{name}: listed in no wheel's RECORD")
        elif not any(_is_compatible_tag(tag) for tag in tags[distribution]):
            problems.append(f"{name}: from {distribution} tagged {tags[distribution]}, which was built on "
                            f"this machine or needs a glibc newer than {RUNTIME_GLIBC}")
    assert not problems, ("native code that may not load on Lambda's python3.11 runtime; pin the package to a "
                          "version with a manylinux2014 wheel in requirements.txt:\n" + "\n".join(sorted(problems)))


def test_zip_imports_in_isolation(archive, tmp_path):
    """Import the app and draw a captcha from the unpacked zip, with only the standard library besides.

    Lambda's runtime adds boto3 and s3transfer, so this interpreter gets those
    two from the virtual environment.
    """
    code = tmp_path / "code"
    archive.extractall(code)
    runtime = tmp_path / "runtime"
    runtime.mkdir()
    for package in ("boto3", "s3transfer"):
        (runtime / package).symlink_to(Path(importlib.util.find_spec(package).origin).parent)
    script = (
        "import sys\n"
        "sys.path[:0] = [sys.argv[1], sys.argv[2]]\n"
        "import app, jinja2, zoneinfo\n"
        "from captcha.image import ImageCaptcha\n"
        "png = ImageCaptcha(width=200, height=70).generate('AB12C', format='png').getvalue()\n"
        "assert png.startswith(b'\\x89PNG')\n"
        "zoneinfo.ZoneInfo('Asia/Tashkent')\n"
        "outside = sorted({m.__file__.split('/site-packages/')[0] for m in list(sys.modules.values())\n"
        "                  if getattr(m, '__file__', None) and '/site-packages/' in m.__file__})\n"
        "print(outside)\n"
    )
    result = subprocess.run([sys.executable, "-I", "-S", "-c", script, str(code), str(runtime)],
                            capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert result.returncode == 0, f"importing from deployment.zip failed:\n{result.stderr}"
    assert result.stdout.strip() == "[]", f"modules were loaded from site-packages: {result.stdout}"


def test_app_import_loads_no_heavy_module():
    script = (f"import app, sys; print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY_PACKAGES!r}))")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]", f"importing app loads {result.stdout.strip()}"


def test_app_import_loads_no_cli_module():
    """argparse serves only the command lines, and zoneinfo only requests that use a local date."""
    script = "import app, sys; print(sorted(m for m in ('argparse', 'zoneinfo') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]", f"importing app loads {result.stdout.strip()}"


@pytest.mark.parametrize("target", ["deploy", "upload-site"])
def test_aws_targets_stop_without_aws_cli(target, tmp_path):
    command = ["make", "--no-print-directory", "-f", "infra/package.mk", target,
               f"AWS={tmp_path / 'missing-aws'}", f"DIST={tmp_path / 'dist'}"]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "the AWS CLI" in result.stderr
    assert not (tmp_path / "dist").exists(), f"make {target} went on without the AWS CLI"

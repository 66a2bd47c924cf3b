"""The local stack behind `make run`: moto, `chalice local` and a static web server.

Every server binds 127.0.0.1 only. `start_stack` takes these steps:

1. check the ports, lock the data folder and bind the web server, so that a
   taken port fails before anything starts;
2. start moto's server, and with persist=True replay the AWS recording of
   an earlier run (see scripts.aws_recording) and turn recording on;
3. run scripts.stack_setup in a child process: tables, agencies, the ledger
   bucket, the sender identity and the API keys in credentials.json;
4. start `chalice local --stage local` against moto;
5. write web/config.js, serve web/, and write stack.json with the three URLs.

Tests import `start_stack` and `stop_stack`; `python -m scripts.local_stack`
runs a stack on fixed ports with its data in .local/ until Ctrl-C.
"""
from __future__ import annotations

import fcntl
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Callable

import requests

from scripts import aws_recording
from scripts.web_server import WebServer

logger = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
WEB_DIR = PROJECT_ROOT / "web"
CHALICE_CONFIG = PROJECT_ROOT / ".chalice" / "config.json"
DEFAULT_DATA_DIR = PROJECT_ROOT / ".local"

HOST = "127.0.0.1"
STAGE = "local"
REGION = "eu-central-1"
START_TIMEOUT_SECONDS = 60
SETUP_TIMEOUT_SECONDS = 180
STOP_TIMEOUT_SECONDS = 10
POLL_INTERVAL_SECONDS = 0.2
LOG_TAIL_LINES = 25

# Moto accepts any credentials. These keep botocore from looking for real
# ones, and the children's environment drops every other AWS_ variable.
DUMMY_AWS_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
}

# Overridable ports of `main()`, with their defaults.
PORT_VARIABLES = {"API_PORT": 8000, "WEB_PORT": 8080, "AWS_PORT": 5000}
DEMO_AGENCY_ID = "mvd"


class StackError(RuntimeError):
    """Raised when a server of the stack cannot start; the message names the server and the cause."""


class PortUnavailableError(StackError):
    """Raised when a requested port is taken or is not a valid port number."""


@dataclass
class _Child:
    name: str
    process: subprocess.Popen
    log_path: Path


@dataclass
class Stack:
    """A running local stack: its URLs, API keys and data folder. Pass it to `stop_stack`."""

    api_url: str
    web_url: str
    aws_url: str
    credentials: dict
    data_dir: Path
    _children: list[_Child] = field(default_factory=list, repr=False)
    _web_server: WebServer | None = field(default=None, repr=False)
    _lock_file: IO | None = field(default=None, repr=False)


# ---------------------------------------------------------------- configuration

def local_stage_environment(config_path: Path = CHALICE_CONFIG) -> dict[str, str]:
    """Return the environment variables that .chalice/config.json gives the local stage."""
    chalice_config = json.loads(config_path.read_text(encoding="utf-8"))
    environment = dict(chalice_config.get("environment_variables", {}))
    environment.update(chalice_config["stages"][STAGE].get("environment_variables", {}))
    return environment


def _child_environment(overrides: dict[str, str]) -> dict[str, str]:
    # Drop the developer's AWS_ and MOTO_ variables: a profile, real keys or
    # a per-service endpoint such as AWS_ENDPOINT_URL_DYNAMODB would bypass moto.
    environment = {name: value for name, value in os.environ.items()
                   if not name.startswith(("AWS_", "MOTO_"))}
    no_proxy = ",".join(filter(None, [os.environ.get("NO_PROXY"), HOST, "localhost"]))
    environment.update(DUMMY_AWS_ENVIRONMENT)
    environment.update({"NO_PROXY": no_proxy, "no_proxy": no_proxy, "PYTHONUNBUFFERED": "1"})
    environment.update(overrides)
    return environment


def config_script(api_url: str) -> str:
    """Return the web page's config.js that points it at `api_url`."""
    return f"window.MUROJAAT_CONFIG = {json.dumps({'apiBaseUrl': api_url})};\n"


# ---------------------------------------------------------------- ports

def free_port() -> int:
    """Return a port on 127.0.0.1 that is free now; another process may still take it before use."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def ensure_port_free(port: int, server_name: str) -> None:
    """:raises PortUnavailableError: when something already listens on `port` of 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # The servers set SO_REUSEADDR too, so a port in TIME_WAIT counts as free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError as exc:
            raise PortUnavailableError(
                f"Port {port} on {HOST} is not available for the {server_name} ({exc.strerror}). "
                "Stop the process that uses it, or choose another port."
            ) from None


# ---------------------------------------------------------------- child processes

def _parent_death_signal_setter() -> Callable[[], None] | None:
    """Return a function that makes Linux send SIGTERM to the calling process when its parent dies.

    The function runs in the child between fork and exec, so libc is loaded
    here, before the fork, and the child only makes the system call.
    """
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    prctl = ctypes.CDLL(None, use_errno=True).prctl
    pr_set_pdeathsig = 1

    def set_parent_death_signal() -> None:
        prctl(pr_set_pdeathsig, int(signal.SIGTERM))

    return set_parent_death_signal


def _spawn(name: str, command: list[str], environment: dict[str, str], log_path: Path,
           cwd: Path) -> _Child:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "wb") as log_file:
        # A session of its own keeps the terminal's Ctrl-C away from the child,
        # so that the stack stops its servers in order. The parent-death
        # signal stops the child even when the stack's process is killed.
        process = subprocess.Popen(command, cwd=cwd, env=environment, stdin=subprocess.DEVNULL,
                                   stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True,
                                   preexec_fn=_parent_death_signal_setter())
    logger.info("Started the %s (pid %s), log in %s", name, process.pid, log_path)
    return _Child(name=name, process=process, log_path=log_path)


def log_tail(log_path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        text = log_path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:]) or "(empty log)"


def _startup_failure(child: _Child, problem: str) -> StackError:
    return StackError(f"The {child.name} {problem}. Last lines of {child.log_path}:\n"
                      f"{log_tail(child.log_path)}")


def _wait_until_ready(child: _Child, url: str, session: requests.Session,
                      is_ready: Callable[[requests.Response], bool]) -> None:
    """Poll `url` until `is_ready` accepts the response.

    :raises StackError: when the child exits, responds with a server error
        (it started but cannot serve), or does not respond within START_TIMEOUT_SECONDS.
    """
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    last_problem = "no response"
    while time.monotonic() < deadline:
        if child.process.poll() is not None:
            raise _startup_failure(child, f"exited with code {child.process.returncode} while starting")
        try:
            response = session.get(url, timeout=2)
        except requests.RequestException as exc:
            last_problem = type(exc).__name__
        else:
            if is_ready(response):
                return
            if response.status_code >= 500:
                raise _startup_failure(child, f"responded to {url} with HTTP {response.status_code}")
            last_problem = f"HTTP {response.status_code}"
        time.sleep(POLL_INTERVAL_SECONDS)
    raise _startup_failure(child, f"did not respond to {url} within {START_TIMEOUT_SECONDS} s "
                                  f"(last attempt: {last_problem})")


def _signal_group(child: _Child, stop_signal: signal.Signals) -> None:
    # The child leads its own process group, so the group's id is its pid.
    try:
        os.killpg(child.process.pid, stop_signal)
    except (ProcessLookupError, PermissionError):
        pass  # the group has exited already


def _stop_child(child: _Child) -> None:
    _signal_group(child, signal.SIGTERM)
    try:
        child.process.wait(timeout=STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        logger.warning("The %s (pid %s) ignored SIGTERM for %s s; sending SIGKILL",
                       child.name, child.process.pid, STOP_TIMEOUT_SECONDS)
        _signal_group(child, signal.SIGKILL)
        child.process.wait()
    logger.info("Stopped the %s (pid %s)", child.name, child.process.pid)


def _run_setup(environment: dict[str, str], credentials_path: Path, reuse: bool, log_path: Path) -> None:
    command = [sys.executable, "-m", "scripts.stack_setup", str(credentials_path)]
    if reuse:
        command.append("--reuse-credentials")
    with open(log_path, "wb") as log_file:
        try:
            result = subprocess.run(command, cwd=PROJECT_ROOT, env=environment, stdin=subprocess.DEVNULL,
                                    stdout=log_file, stderr=subprocess.STDOUT,
                                    timeout=SETUP_TIMEOUT_SECONDS, check=False)
        except subprocess.TimeoutExpired:
            raise StackError(f"Creating the tables and keys timed out after {SETUP_TIMEOUT_SECONDS} s. "
                             f"Last lines of {log_path}:\n{log_tail(log_path)}") from None
    if result.returncode != 0:
        raise StackError(f"Creating the tables and keys failed with exit code {result.returncode}. "
                         f"Last lines of {log_path}:\n{log_tail(log_path)}")


# ---------------------------------------------------------------- the stack

def _lock_data_dir(data_dir: Path) -> IO:
    """Take the data folder's lock, which the kernel releases when this process ends.

    :raises StackError: when another running stack has it, because two moto
        servers recording into one file would corrupt it.
    """
    lock_file = open(data_dir / "stack.lock", "w")
    try:
        fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock_file.close()
        raise StackError(f"Another local stack is running on {data_dir}; stop it first, "
                         "or give this one another data folder.") from None
    return lock_file


def _prepare_recording(path: Path) -> aws_recording.CompactionResult:
    # The recording contains citizens' appeals, so only the owner may read it.
    path.touch(mode=0o600, exist_ok=True)
    compaction = aws_recording.compact_recording(path)
    os.chmod(path, 0o600)
    logger.info("Kept %s recorded AWS requests that change data; dropped %s reads and %s unreadable lines",
                compaction.kept_requests, compaction.dropped_reads, compaction.dropped_invalid)
    return compaction


def _start_aws(data_dir: Path, port: int, persist: bool, session: requests.Session) -> _Child:
    """Start moto's server; with `persist`, load the recording of earlier runs and keep recording."""
    recording = data_dir / "aws-recording.jsonl"
    environment = {}
    if persist:
        compaction = _prepare_recording(recording)
        environment["MOTO_RECORDER_FILEPATH"] = str(recording)

    url = f"http://{HOST}:{port}"
    child = _spawn("AWS server (moto)", [sys.executable, str(PROJECT_ROOT / "scripts" / "moto_server.py"), "-H", HOST, "-p", str(port)],
                   _child_environment(environment), data_dir / "logs" / "aws.log", cwd=data_dir)
    _wait_until_ready(child, f"{url}/moto-api/", session, lambda response: response.status_code == 200)

    if persist:
        started = time.monotonic()
        try:
            if compaction.kept_requests:
                aws_recording.replay_recording(session, url, compaction.kept_requests)
                logger.info("Replayed %s recorded AWS requests in %.1f s", compaction.kept_requests,
                            time.monotonic() - started)
            aws_recording.start_recording(session, url)
        except (RuntimeError, requests.RequestException) as exc:
            raise _startup_failure(child, f"could not load or record {recording}: {exc}") from None
    return child


def _start_api(api_port: int, environment: dict[str, str], log_path: Path,
               session: requests.Session) -> _Child:
    chalice = Path(sys.executable).parent / "chalice"
    if not chalice.exists():
        raise StackError(f"{chalice} is missing; install requirements-dev.txt (make venv).")
    # Chalice's autoreloader polls every file under the project, .venv and
    # .local included, and would restart on each recorded AWS request.
    command = [str(chalice), "local", "--stage", STAGE, "--host", HOST, "--port", str(api_port),
               "--no-autoreload"]
    child = _spawn("API server (chalice local)", command, environment, log_path, cwd=PROJECT_ROOT)
    api_url = f"http://{HOST}:{api_port}"
    _wait_until_ready(child, f"{api_url}/v1/agencies", session, lambda response: response.status_code == 200)
    return child


def _warn_if_origin_ignored(api_url: str, web_url: str, session: requests.Session) -> None:
    allowed = session.get(f"{api_url}/v1/agencies", timeout=5).headers.get("Access-Control-Allow-Origin")
    if allowed != web_url:
        logger.warning(
            "The API allows the origin %s, not the web server's %s, so browsers will block its "
            "responses. chalice local lets the local stage's environment_variables in "
            ".chalice/config.json override SITE_ORIGIN from the process environment.",
            allowed, web_url)


def start_stack(data_dir: Path, *, api_port: int = 0, web_port: int = 0, aws_port: int = 0,
                persist: bool = True) -> Stack:
    """Start moto, the API and the web server on 127.0.0.1 and wait until each responds.

    A port of 0 picks a free port. With `persist`, the AWS data of earlier
    runs in `data_dir` is loaded and every change is recorded there, and
    the keys in `data_dir`/credentials.json are reused while they still work.

    :raises StackError: when a port is taken or a server does not start; the
        servers started so far are stopped again.
    """
    data_dir = Path(data_dir).resolve()
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    for port, server_name in ((api_port, "API server"), (aws_port, "AWS server")):
        if port:
            ensure_port_free(port, server_name)
    lock_file = _lock_data_dir(data_dir)
    api_port = api_port or free_port()
    aws_port = aws_port or free_port()
    api_url = f"http://{HOST}:{api_port}"
    aws_url = f"http://{HOST}:{aws_port}"

    session = requests.Session()
    session.trust_env = False  # never send requests for 127.0.0.1 through a proxy
    children: list[_Child] = []
    web_server = None
    try:
        try:
            web_server = WebServer(WEB_DIR, web_port, config_script(api_url))
        except OSError as exc:
            raise PortUnavailableError(
                f"Port {web_port} on {HOST} is not available for the web server ({exc.strerror}). "
                "Stop the process that uses it, or choose another port.") from None
        web_url = web_server.url

        children.append(_start_aws(data_dir, aws_port, persist, session))

        mail_dir = data_dir / "mail"
        mail_dir.mkdir(exist_ok=True)
        environment = dict(local_stage_environment())
        environment.update({
            "STAGE": STAGE,
            "AWS_ENDPOINT_URL": aws_url,
            "SITE_ORIGIN": web_url,
            "SITE_URL": web_url,
            "MAIL_DIR": str(mail_dir),
        })
        environment = _child_environment(environment)
        credentials_path = data_dir / "credentials.json"
        _run_setup(environment, credentials_path, persist, data_dir / "logs" / "setup.log")

        children.append(_start_api(api_port, environment, data_dir / "logs" / "api.log", session))
        _warn_if_origin_ignored(api_url, web_url, session)

        WEB_DIR.mkdir(exist_ok=True)
        (WEB_DIR / "config.js").write_text(config_script(api_url), encoding="utf-8")
        web_server.start()
        session.get(f"{web_url}/config.js", timeout=5).raise_for_status()
    except BaseException:
        _stop_servers(children, web_server)
        lock_file.close()
        raise
    finally:
        session.close()

    stack = Stack(
        api_url=api_url,
        web_url=web_url,
        aws_url=aws_url,
        credentials=json.loads(credentials_path.read_text(encoding="utf-8")),
        data_dir=data_dir,
        _children=children,
        _web_server=web_server,
        _lock_file=lock_file,
    )
    (data_dir / "stack.json").write_text(
        json.dumps({"api_url": api_url, "web_url": web_url, "aws_url": aws_url}, indent=2) + "\n",
        encoding="utf-8")
    return stack


def _stop_servers(children: list[_Child], web_server: WebServer | None) -> None:
    if web_server is not None:
        web_server.stop()
    # The API first, so that it sends nothing to moto while moto stops.
    for child in reversed(children):
        _stop_child(child)


def stop_stack(stack: Stack) -> None:
    """Stop the web server, the API and moto, and wait until their processes have exited."""
    _stop_servers(stack._children, stack._web_server)
    stack._children = []
    stack._web_server = None
    try:
        (stack.data_dir / "stack.json").unlink()
    except FileNotFoundError:
        pass
    if stack._lock_file is not None:
        stack._lock_file.close()
        stack._lock_file = None


# ---------------------------------------------------------------- make run

def _ports_from_environment() -> dict[str, int]:
    ports = {}
    for name, default in PORT_VARIABLES.items():
        text = os.environ.get(name, str(default))
        if not text.isdigit() or not 1 <= int(text) <= 65535:
            raise PortUnavailableError(
                f"{name}={text!r} is not a port number; set it to a number from 1 to 65535.")
        ports[name] = int(text)
    return ports


def _display_path(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def print_summary(stack: Stack) -> None:
    """Print the URLs, file locations and a demo key; the keys are local and meant to be shown."""
    data = _display_path(stack.data_dir)
    captcha_answer = local_stage_environment().get("CAPTCHA_TEST_ANSWER")
    officer_key = stack.credentials["agencies"].get(DEMO_AGENCY_ID, {}).get("officer")
    lines = [
        "",
        "murojaat is running on this machine:",
        f"  API        {stack.api_url}",
        f"  Web site   {stack.web_url}",
        f"  AWS (moto) {stack.aws_url}",
        "",
        f"  API keys   {data}/credentials.json",
        f"  E-mails    {data}/mail/",
        f"  Logs       {data}/logs/ (api.log, aws.log, setup.log)",
        f"  Data       {data}/aws-recording.jsonl is kept across runs; delete {data}/ to start over.",
        "",
    ]
    if officer_key:
        lines += [
            "Officer key of the Ministry of Internal Affairs (agency id mvd):",
            f"  {officer_key}",
            "List that officer's inbox:",
            f'  curl -H "Authorization: Bearer {officer_key}" {stack.api_url}/v1/agency/appeals',
            "",
        ]
    if captcha_answer:
        lines.append(f"Every captcha accepts the answer {captcha_answer} "
                     "(CAPTCHA_TEST_ANSWER of the local stage in .chalice/config.json).")
    lines.append("Press Ctrl-C to stop.")
    print("\n".join(lines), flush=True)


def _wait_for_stop_signal(stack: Stack) -> int:
    """Block until SIGINT, SIGTERM or SIGHUP; return 1 if a server exits on its own first."""
    stop_requested = threading.Event()
    for stop_signal in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(stop_signal, lambda signum, frame: stop_requested.set())
    while not stop_requested.wait(1.0):
        for child in stack._children:
            if child.process.poll() is not None:
                logger.error("The %s exited with code %s. Last lines of %s:\n%s", child.name,
                             child.process.returncode, child.log_path, log_tail(child.log_path))
                return 1
    return 0


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    try:
        ports = _ports_from_environment()
        stack = start_stack(DEFAULT_DATA_DIR, api_port=ports["API_PORT"], web_port=ports["WEB_PORT"],
                            aws_port=ports["AWS_PORT"], persist=True)
    except PortUnavailableError as exc:
        print(f"error: {exc}\nSet the ports with API_PORT, WEB_PORT and AWS_PORT "
              "(defaults 8000, 8080 and 5000).", file=sys.stderr)
        return 1
    except StackError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130

    print_summary(stack)
    try:
        exit_code = _wait_for_stop_signal(stack)
    finally:
        print("Stopping...", flush=True)
        stop_stack(stack)
    return exit_code


if __name__ == "__main__":
    sys.exit(main())

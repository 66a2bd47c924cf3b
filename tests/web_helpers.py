"""Helpers of the browser tests in test_web.py: the API calls they make, axe-core and page weight."""
from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from pathlib import Path

import requests

PROJECT_ROOT = Path(__file__).resolve().parent.parent
AXE_SCRIPT = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
TRANSLATIONS_DIR = PROJECT_ROOT / "web" / "i18n"
NPM_INSTALL_TIMEOUT_SECONDS = 180
API_TIMEOUT_SECONDS = 30


def ensure_axe_installed() -> Path:
    """Return the path of axe.min.js, running `npm install` in the project root when it is missing.

    :raises RuntimeError: when npm is not installed or the install fails.
    """
    if AXE_SCRIPT.exists():
        return AXE_SCRIPT
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError(f"{AXE_SCRIPT} is missing and npm is not installed. Install Node.js "
                           f"with npm, then run `npm install` in {PROJECT_ROOT}.")
    result = subprocess.run([npm, "install", "--no-audit", "--no-fund"], cwd=PROJECT_ROOT,
                            capture_output=True, text=True, timeout=NPM_INSTALL_TIMEOUT_SECONDS, check=False)
    if result.returncode != 0 or not AXE_SCRIPT.exists():
        raise RuntimeError(f"`npm install` in {PROJECT_ROOT} failed with exit code {result.returncode}, "
                           f"so {AXE_SCRIPT} is missing:\n{result.stderr[-2000:]}")
    return AXE_SCRIPT


def _read_object_literal(file_name: str, marker: str) -> dict:
    source = (TRANSLATIONS_DIR / file_name).read_text(encoding="utf-8")
    literal = source.split(marker, 1)[1].strip()
    return json.loads(literal.removesuffix(";"))


def read_translations(language: str) -> dict:
    """Return the texts of web/i18n/<language>.js, whose object literal is strict JSON."""
    return _read_object_literal(f"{language}.js", f'window.MUROJAAT_I18N["{language}"] = ')


def read_language_names() -> dict:
    """Return the switcher's language names from web/i18n/languages.js."""
    return _read_object_literal("languages.js", "window.MUROJAAT_LANGUAGE_NAMES = ")


def submit_appeal(api_url: str, captcha_answer: str, *, agency_id: str = "mvd", language: str = "uz",
                  text: str | None = None) -> dict:
    """Send an appeal through the API with the stage's captcha test answer and return the 201 body.

    The default text ends with a random tag, because the API rejects the same
    applicant's same text within two minutes as a duplicate submission.
    """
    if text is None:
        text = f"Koʻchamizdagi chiroqlar ikki oydan beri yonmaydi ({uuid.uuid4().hex[:8]})."
    session = requests.Session()
    session.trust_env = False  # never send requests for 127.0.0.1 through a proxy
    captcha = session.post(f"{api_url}/v1/captcha", json={}, timeout=API_TIMEOUT_SECONDS)
    captcha.raise_for_status()
    body = {
        "agency_id": agency_id,
        "kind": "complaint",
        "text": text,
        "language": language,
        "applicant": {
            "full_name": "Aliyev Vali Karimovich",
            "address": "Toshkent sh., Chilonzor t., 5-uy",
            "email": "vali@example.org",
        },
        "captcha_id": captcha.json()["captcha_id"],
        "captcha_answer": captcha_answer,
    }
    response = session.post(f"{api_url}/v1/appeals", json=body, timeout=API_TIMEOUT_SECONDS)
    assert response.status_code == 201, response.text
    return response.json()


def answer_appeal(api_url: str, officer_key: str, appeal_id: str, text: str) -> None:
    """Record an agency's answer through the API with an officer's key."""
    session = requests.Session()
    session.trust_env = False
    response = session.post(f"{api_url}/v1/agency/appeals/{appeal_id}/answer", json={"text": text},
                            headers={"Authorization": f"Bearer {officer_key}"}, timeout=API_TIMEOUT_SECONDS)
    assert response.status_code == 200, response.text


def axe_violations(page, axe_script: Path) -> list[dict]:
    """Run axe-core on the page as it is now and return its violations."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(path=str(axe_script))
    return page.evaluate("async () => (await window.axe.run(document)).violations")


def describe_violations(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"][:5]:
            lines.append(f"    {node['target']}: {node.get('failureSummary', '').splitlines()[-1:]}")
    return "\n".join(lines)


class TransferMeter:
    """Sum of the response body sizes of a page's requests, counted from when it is attached."""

    def __init__(self, page) -> None:
        self.sizes: dict[str, int] = {}
        page.on("requestfinished", self._record)

    def _record(self, request) -> None:
        self.sizes[f"{request.method} {request.url}#{len(self.sizes)}"] = request.sizes()["responseBodySize"]

    @property
    def total(self) -> int:
        return sum(self.sizes.values())

    def largest(self, count: int = 5) -> list[tuple[str, int]]:
        return sorted(self.sizes.items(), key=lambda item: item[1], reverse=True)[:count]

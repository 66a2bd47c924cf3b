"""The citizens' site in web/, driven in Debian's chromium against a real local stack.

One stack (moto, `chalice local`, the static web server) serves the whole
module. Each test gets a fresh browser context, so every page load is a first
load with empty storage. When a test fails, screenshots of its page at 360 px
and 1280 px go to test-artifacts/.
"""
from __future__ import annotations

import email
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from chalicelib.text import normalize_apostrophes, search_key
from tests.web_helpers import (
    TransferMeter,
    answer_appeal,
    axe_violations,
    describe_violations,
    ensure_axe_installed,
    read_language_names,
    read_translations,
    submit_appeal,
)

playwright_sync = pytest.importorskip("playwright.sync_api")

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS_DIR = PROJECT_ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LANGUAGES = ["uz", "uz-Cyrl", "ru", "en"]
PAGES = ["index.html", "follow.html", "stats.html"]
MAX_FIRST_LOAD_BYTES = 150 * 1024
NARROW, WIDE = 360, 1280
TIMEOUT_MS = 15_000

APPEAL_NUMBER = re.compile(r"^\d{4}-\d{6}$")
ACCESS_CODE = re.compile(r"^[A-Z2-7]{4}(-[A-Z2-7]{1,4})+$")
# A wrong answer that no captcha can have: the captcha alphabet has no letter O.
WRONG_CAPTCHA_ANSWER = "WRONG"


# ---------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    from scripts.local_stack import start_stack, stop_stack

    running = start_stack(tmp_path_factory.mktemp("stack"), persist=False)
    yield running
    stop_stack(running)


@pytest.fixture(scope="module")
def captcha_answer():
    from scripts.local_stack import local_stage_environment

    answer = local_stage_environment().get("CAPTCHA_TEST_ANSWER")
    assert answer, "The local stage in .chalice/config.json has no CAPTCHA_TEST_ANSWER"
    return answer


@pytest.fixture(scope="module")
def axe_script():
    try:
        return ensure_axe_installed()
    except RuntimeError as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing. Install Debian's chromium: "
                    "apt-get install chromium fonts-dejavu-core")
    with playwright_sync.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, request):
    """Yield a page in a fresh context at 1280 px. On failure, save screenshots at 360 and 1280 px."""
    context = browser.new_context(viewport={"width": WIDE, "height": 900}, accept_downloads=True)
    context.set_default_timeout(TIMEOUT_MS)
    new_page = context.new_page()
    page_errors = []
    new_page.on("pageerror", lambda error: page_errors.append(str(error)))
    failures_before = request.session.testsfailed

    yield new_page

    if request.session.testsfailed > failures_before:
        save_screenshots(new_page, request.node.name)
    context.close()
    assert page_errors == [], f"JavaScript errors on the page: {page_errors}"


def save_screenshots(page, test_name: str) -> None:
    ARTIFACTS_DIR.mkdir(exist_ok=True)
    safe_name = re.sub(r"[^A-Za-z0-9_.-]+", "_", test_name)
    for width in (NARROW, WIDE):
        try:
            page.set_viewport_size({"width": width, "height": 900})
            page.screenshot(path=str(ARTIFACTS_DIR / f"{safe_name}-{width}.png"), full_page=True)
        except playwright_sync.Error:
            pass  # the page may have crashed, and the test's own failure explains more


@pytest.fixture(scope="module")
def answered_appeal(stack, captcha_answer):
    """An appeal to the Ministry of Internal Affairs with an answer nobody has read yet."""
    created = submit_appeal(stack.api_url, captcha_answer, agency_id="mvd")
    officer = stack.credentials["agencies"]["mvd"]["officer"]
    answer_appeal(stack.api_url, officer, created["appeal_id"], "Chiroqlar taʼmirlandi.")
    return created


# ---------------------------------------------------------------- page steps

def open_page(page, stack, name: str, language: str | None = None) -> None:
    page.goto(f"{stack.web_url}/{name}")
    page.wait_for_function("() => document.title && document.querySelector('[aria-pressed=true]')")
    if language:
        choose_language(page, language)


def choose_language(page, language: str) -> None:
    page.click(f"[data-language='{language}']")
    page.wait_for_function(f"() => document.documentElement.lang === '{language}'")


def wait_for_agencies(page) -> None:
    page.wait_for_function("() => document.querySelectorAll('#agency option').length > 5")


def wait_for_captcha(page) -> str:
    page.wait_for_function("() => document.getElementById('captcha-image').src.startsWith('data:image/png')")
    return page.get_attribute("#captcha-image", "src")


def fill_appeal(page, text: str) -> None:
    wait_for_agencies(page)
    page.select_option("#agency", "mvd")
    page.check("#kind-complaint")
    page.fill("#text", text)
    page.fill("#full-name", "Aliyev Vali Karimovich")
    page.fill("#address", "Toshkent sh., Chilonzor t., 5-uy")
    page.fill("#email", "vali@example.org")


def show_appeal(page, stack, appeal_id: str, access_code: str) -> None:
    open_page(page, stack, f"follow.html?id={appeal_id}")
    page.fill("#access-code", access_code)
    page.click("#show-appeal")
    page.wait_for_selector("#appeal-view:not([hidden])")


# ---------------------------------------------------------------- translations

def test_translations_have_same_keys():
    english = read_translations("en")

    for language in LANGUAGES:
        texts = read_translations(language)
        assert set(texts) == set(english), f"{language}.js differs from en.js in keys"


def test_every_language_has_switcher_name():
    assert list(read_language_names()) == LANGUAGES


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_placeholders(language):
    english = read_translations("en")
    texts = read_translations(language)

    for key, value in texts.items():
        if isinstance(value, str):
            assert set(re.findall(r"\{(\w+)\}", value)) == set(re.findall(r"\{(\w+)\}", english[key])), key


def test_uzbek_latin_texts_use_modifier_letters():
    for key, value in read_translations("uz").items():
        for text in value if isinstance(value, list) else [value]:
            assert "'" not in text, key
            assert "\u2019" not in text, key
            assert normalize_apostrophes(text) == text, key


# ---------------------------------------------------------------- sending an appeal

EXPECTED_CAPTCHA_ERROR = {
    "uz": "Belgilar rasmga mos kelmadi",
    "uz-Cyrl": "Белгилар расмга мос келмади",
    "ru": "Символы не совпадают с картинкой",
    "en": "The characters do not match the picture",
}
EXPECTED_AGENCY_NAME = {
    "uz": "Oʻzbekiston Respublikasi Ichki ishlar vazirligi",
    "uz-Cyrl": "Ўзбекистон Республикаси Ички ишлар вазирлиги",
    "ru": "Министерство внутренних дел Республики Узбекистан",
    "en": "Ministry of Internal Affairs of the Republic of Uzbekistan",
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_send_appeal_after_failed_captcha(page, stack, captcha_answer, axe_script, language):
    open_page(page, stack, "index.html", language)
    api_languages = []
    page.on("request", lambda request: api_languages.append(request.headers.get("accept-language"))
            if request.url.startswith(stack.api_url) and request.method != "OPTIONS" else None)
    fill_appeal(page, f"O'zbekiston g'alaba, ma'lumot ({language})")
    first_picture = wait_for_captcha(page)

    # GIVEN a wrong captcha answer WHEN the form is sent THEN it keeps the input and shows a new picture.
    page.fill("#captcha-answer", WRONG_CAPTCHA_ANSWER)
    page.click("#submit-appeal")
    page.wait_for_selector("#captcha-answer-error:not([hidden])")

    assert EXPECTED_CAPTCHA_ERROR[language] in page.text_content("#captcha-answer-error")
    assert EXPECTED_CAPTCHA_ERROR[language] in page.text_content("#error-summary")
    assert page.get_attribute("#captcha-answer", "aria-invalid") == "true"
    assert "captcha-answer-error" in page.get_attribute("#captcha-answer", "aria-describedby")
    assert page.evaluate("() => document.activeElement.id") == "captcha-answer"
    assert page.input_value("#captcha-answer") == ""
    assert page.input_value("#text") == f"Oʻzbekiston gʻalaba, maʼlumot ({language})"
    assert page.input_value("#full-name") == "Aliyev Vali Karimovich"
    assert page.input_value("#email") == "vali@example.org"
    assert page.input_value("#agency") == "mvd"
    assert page.is_checked("#kind-complaint")
    assert wait_for_captcha(page) != first_picture

    # WHEN the test answer is typed THEN the appeal is registered.
    page.fill("#captcha-answer", captcha_answer.lower())
    page.click("#submit-appeal")
    page.wait_for_selector("#confirmation:not([hidden])")

    number = page.text_content("#confirm-number")
    code = page.text_content("#confirm-code")
    assert APPEAL_NUMBER.match(number)
    assert ACCESS_CODE.match(code)
    assert page.text_content("#confirm-agency") == EXPECTED_AGENCY_NAME[language]
    assert page.text_content("#confirm-explanation")
    assert page.get_attribute("#confirm-explanation", "lang") == language
    assert page.evaluate("() => document.activeElement.id") == "confirmation-title"
    assert api_languages and set(api_languages) == {language}

    with page.expect_download() as download_info:
        page.click("#save-receipt")
    receipt = Path(download_info.value.path()).read_text(encoding="utf-8-sig")
    assert number in receipt
    assert code in receipt

    violations = axe_violations(page, axe_script)
    assert violations == [], describe_violations(violations)


def test_copy_button_copies_access_code(page, stack, captcha_answer):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=stack.web_url)
    open_page(page, stack, "index.html", "en")
    fill_appeal(page, "Street lights are broken.")
    wait_for_captcha(page)
    page.fill("#captcha-answer", captcha_answer)
    page.click("#submit-appeal")
    page.wait_for_selector("#confirmation:not([hidden])")

    page.click("#copy-code")

    page.wait_for_function("() => document.getElementById('confirm-status').textContent !== ''")
    assert page.evaluate("() => navigator.clipboard.readText()") == page.text_content("#confirm-code")


def test_listen_button_loads_new_picture_with_sound(page, stack):
    open_page(page, stack, "index.html", "en")
    first_picture = wait_for_captcha(page)
    assert page.is_hidden("#captcha-player")

    page.click("#captcha-audio")

    page.wait_for_selector("#captcha-player:not([hidden])")
    assert page.get_attribute("#captcha-player", "src").startswith("data:audio/wav;base64,")
    assert wait_for_captcha(page) != first_picture
    assert page.text_content("#captcha-status") == read_translations("en")["send.captchaAudioReady"]


def test_empty_form_marks_every_required_field(page, stack):
    open_page(page, stack, "index.html", "en")
    wait_for_agencies(page)

    page.click("#submit-appeal")

    invalid = page.eval_on_selector_all("[aria-invalid=true]", "elements => elements.map(e => e.id)")
    assert invalid == ["agency", "kind-application", "kind-proposal", "kind-complaint", "text",
                       "full-name", "address", "email", "captcha-answer"]
    assert page.evaluate("() => document.activeElement.id") == "agency"
    assert page.text_content("#email-error").endswith(read_translations("en")["errors.contact_required"])
    assert page.locator("#error-summary li").count() == 7


def test_language_choice_is_remembered(page, stack):
    open_page(page, stack, "index.html", "ru")

    open_page(page, stack, "follow.html")

    assert page.evaluate("() => document.documentElement.lang") == "ru"
    assert page.text_content("h1") == read_translations("ru")["follow.title"]


# ---------------------------------------------------------------- agency search

@pytest.mark.parametrize("query", ["Тошкент", "Toshkent", "TOSHKENT", "Ташкент"])
def test_agency_search_finds_tashkent_in_both_scripts(page, stack, query):
    open_page(page, stack, "index.html")
    wait_for_agencies(page)

    page.fill("#agency-search", query)

    options = page.eval_on_selector_all("#agency option", "options => options.map(o => o.value)")
    assert options == ["", "tashkent-city-khokimiyat"]
    assert page.input_value("#agency") == "tashkent-city-khokimiyat"
    assert "Toshkent shahar hokimligi" in page.text_content("#agency-count")


def test_agency_search_matches_apostrophe_spellings(page, stack):
    open_page(page, stack, "index.html")
    wait_for_agencies(page)

    page.fill("#agency-search", "O'zbekiston adliya")

    options = page.eval_on_selector_all("#agency option", "options => options.map(o => o.value)")
    assert options == ["", "minjust"]


def test_text_rules_match_api(page, stack):
    samples = [
        "O'zbekiston", "g`alaba", "ma'lumot", "'Toshkent'", "'bog''", "5' uzun", "Ўзбекистон",
        "ТАЪЛИМ", "объект", "милиция", "акция", "Ер поезд", "Қўқон ғалла", "it's", "O‘ZBEKISTON",
    ]
    open_page(page, stack, "index.html")

    browser_results = page.evaluate(
        "samples => samples.map(s => [Murojaat.text.normalizeApostrophes(s), Murojaat.text.searchKey(s)])",
        samples)

    for sample, (normalized, key) in zip(samples, browser_results):
        assert normalized == normalize_apostrophes(sample), sample
        assert key == search_key(sample), sample


# ---------------------------------------------------------------- following an appeal

def test_follow_answer_and_rate_with_keyboard(page, stack, captcha_answer):
    created = submit_appeal(stack.api_url, captcha_answer, agency_id="minjust")
    appeal_id, access_code = created["appeal_id"], created["access_code"]
    appeal_reads = []
    page.on("request", lambda request: appeal_reads.append(request.url)
            if "/v1/appeals/" in request.url and request.method == "GET" else None)

    # Loading the page with ?id= prefills the number and reads nothing.
    open_page(page, stack, f"follow.html?id={appeal_id}")
    assert page.input_value("#appeal-number") == appeal_id
    assert page.is_hidden("#appeal-view")
    assert appeal_reads == []

    page.fill("#access-code", access_code)
    page.click("#show-appeal")
    page.wait_for_selector("#appeal-view:not([hidden])")
    assert page.text_content("#appeal-status") == read_translations("uz")["status.registered"]
    assert page.is_visible("#no-answer")
    assert page.is_hidden("#rating")

    answer_appeal(stack.api_url, stack.credentials["agencies"]["minjust"]["officer"], appeal_id,
                  "Murojaatingiz koʻrib chiqildi.")
    page.reload()
    page.wait_for_function("() => document.documentElement.lang === 'uz'")
    reads_before = len(appeal_reads)
    assert page.is_hidden("#appeal-view")
    page.fill("#access-code", access_code.lower())
    page.click("#show-appeal")
    page.wait_for_selector("#rating:not([hidden])")
    assert len(appeal_reads) == reads_before + 1
    assert page.text_content("#answer-text") == "Murojaatingiz koʻrib chiqildi."
    assert page.text_content("#appeal-status") == read_translations("uz")["status.answered"]

    # Rate with the keyboard alone: Tab into the score group, arrows to 4, type, Enter.
    for _ in range(40):
        if page.evaluate("() => document.activeElement.name") == "score":
            break
        page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.id") == "score-1"
    page.keyboard.press("Space")
    for _ in range(3):
        page.keyboard.press("ArrowDown")
    page.keyboard.press("Tab")
    page.keyboard.type("Rahmat")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.id") == "send-rating"
    page.keyboard.press("Enter")

    page.wait_for_selector("#rating-current:not([hidden])")
    assert "4 / 5" in page.text_content("#rating-current-score")
    assert page.text_content("#rating-current-comment") == "Rahmat"
    assert page.text_content("#rating-status") == read_translations("uz")["rating.saved"]
    assert page.is_checked("#score-4")
    history = page.text_content("#appeal-history")
    for event in ("event.submitted", "event.answered", "event.answer_read", "event.rated"):
        assert read_translations("uz")[event] in history


def test_wrong_access_code_is_shown_at_the_field(page, stack, captcha_answer):
    created = submit_appeal(stack.api_url, captcha_answer)
    open_page(page, stack, f"follow.html?id={created['appeal_id']}", "en")

    page.fill("#access-code", "AAAA-BBBB-CCCC-DDDD-EEEE")
    page.click("#show-appeal")

    page.wait_for_selector("#access-code-error:not([hidden])")
    assert read_translations("en")["errors.access_code_invalid"] in page.text_content("#access-code-error")
    assert page.evaluate("() => document.activeElement.id") == "access-code"
    assert page.is_hidden("#appeal-view")


def test_answer_markup_is_shown_as_text(page, stack, captcha_answer):
    markup = "<img src=x onerror=alert(1)> <b>bold</b>"
    created = submit_appeal(stack.api_url, captcha_answer, text="<script>alert(2)</script>")
    answer_appeal(stack.api_url, stack.credentials["agencies"]["mvd"]["officer"], created["appeal_id"], markup)
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    show_appeal(page, stack, created["appeal_id"], created["access_code"])

    assert page.text_content("#answer-text") == markup
    assert page.text_content("#appeal-text") == "<script>alert(2)</script>"
    assert page.locator("#answer-text *").count() == 0
    assert page.locator("#appeal-text *").count() == 0
    page.wait_for_timeout(300)
    assert dialogs == []


# ---------------------------------------------------------------- a new access code and duplicates

def submit_appeal_without_email(api_url: str, captcha_answer: str) -> dict:
    """Send an appeal that gives only a phone number and return the 201 body."""
    session = requests.Session()
    session.trust_env = False  # never send requests for 127.0.0.1 through a proxy
    captcha = session.post(f"{api_url}/v1/captcha", json={}, timeout=30).json()
    body = {
        "agency_id": "mvd", "kind": "application", "language": "uz",
        "text": f"Telefon orqali bogʻlaning ({os.urandom(4).hex()}).",
        "applicant": {"full_name": "Karimova Dilnoza", "address": "Namangan sh.", "phone": "+998901234567"},
        "captcha_id": captcha["captcha_id"], "captcha_answer": captcha_answer,
    }
    response = session.post(f"{api_url}/v1/appeals", json=body, timeout=30)
    assert response.status_code == 201, response.text
    return response.json()


def access_code_from_mail(stack, appeal_id: str) -> str:
    """Return the access code in the newest code e-mail that the local stack wrote for `appeal_id`."""
    files = sorted((Path(stack.data_dir) / "mail").glob(f"access-code_{appeal_id}_*.eml"))
    assert files, f"no access code e-mail for {appeal_id} in {stack.data_dir}/mail"
    message = email.message_from_bytes(files[-1].read_bytes())
    codes = re.findall(r"\b[A-Z2-7]{4}(?:-[A-Z2-7]{1,4})+\b", message.get_payload(decode=True).decode("utf-8"))
    assert len(codes) == 1, codes
    return codes[0]


def test_recover_form_sends_code_that_opens_appeal(page, stack, captcha_answer):
    created = submit_appeal(stack.api_url, captcha_answer)
    appeal_id = created["appeal_id"]
    open_page(page, stack, f"follow.html?id={appeal_id}", "en")
    assert page.input_value("#recover-number") == appeal_id

    page.click("#send-code")

    page.wait_for_function("() => document.getElementById('recover-status').textContent !== ''")
    expected = read_translations("en")["recover.sent"].replace("{number}", appeal_id)
    assert page.text_content("#recover-status") == expected
    new_code = access_code_from_mail(stack, appeal_id)
    assert new_code != created["access_code"]

    # The old code no longer opens the appeal, the new one does.
    page.fill("#access-code", created["access_code"])
    page.click("#show-appeal")
    page.wait_for_selector("#access-code-error:not([hidden])")
    page.fill("#access-code", new_code)
    page.click("#show-appeal")
    page.wait_for_selector("#appeal-view:not([hidden])")
    assert read_translations("en")["event.access_code_reset"] in page.text_content("#appeal-history")


def test_recover_without_email_says_contact_agency(page, stack, captcha_answer):
    created = submit_appeal_without_email(stack.api_url, captcha_answer)
    open_page(page, stack, "follow.html", "ru")

    page.fill("#recover-number", created["appeal_id"])
    page.click("#send-code")

    page.wait_for_selector("#recover-errors .error-summary")
    assert read_translations("ru")["errors.no_email_on_appeal"] in page.text_content("#recover-errors")
    assert page.text_content("#recover-status") == ""


def test_recover_rejects_malformed_number(page, stack):
    open_page(page, stack, "follow.html", "uz")
    requests_sent = []
    page.on("request", lambda request: requests_sent.append(request.url)
            if "/access-code" in request.url else None)

    page.fill("#recover-number", "12-34")
    page.click("#send-code")

    page.wait_for_selector("#recover-number-error:not([hidden])")
    assert read_translations("uz")["errors.invalid_number"] in page.text_content("#recover-number-error")
    assert requests_sent == []


def test_recover_limit_shows_wait_in_minutes(page, stack, captcha_answer):
    # Three resets an hour are allowed from one address, and every browser test
    # comes from 127.0.0.1, so this test runs after the other reset tests.
    created = submit_appeal(stack.api_url, captcha_answer)
    open_page(page, stack, f"follow.html?id={created['appeal_id']}", "en")
    wait_text = read_translations("en")["errors.rate_limited_minutes"].split("{minutes}")[0]

    for _ in range(5):
        page.evaluate("() => { document.getElementById('recover-status').textContent = ''; }")
        page.click("#send-code")
        page.wait_for_function("() => document.getElementById('recover-status').textContent !== ''"
                               " || document.querySelector('#recover-errors .error-summary')")
        if page.text_content("#recover-status").startswith(wait_text):
            break
    status = page.text_content("#recover-status")
    assert status.startswith(wait_text), status
    assert re.search(r"\d+ min\.$", status)


def test_duplicate_appeal_names_first_number(page, stack, captcha_answer):
    text = f"Ikki marta yuborilgan murojaat ({os.urandom(4).hex()})."
    created = submit_appeal(stack.api_url, captcha_answer, text=text)
    open_page(page, stack, "index.html", "en")
    fill_appeal(page, text)
    first_picture = wait_for_captcha(page)

    page.fill("#captcha-answer", captcha_answer)
    page.click("#submit-appeal")

    page.wait_for_selector("#error-summary li")
    # The API used the captcha up before it found the duplicate, so the page shows a new one.
    page.wait_for_function("(first) => document.getElementById('captcha-image').src !== first", arg=first_picture)
    assert page.input_value("#captcha-answer") == ""
    expected = read_translations("en")["errors.duplicate_submission_number"].replace("{number}", created["appeal_id"])
    assert page.text_content("#error-summary li") == expected
    choose_language(page, "ru")
    assert created["appeal_id"] in page.text_content("#error-summary li")
    assert page.is_hidden("#confirmation")


def test_duplicate_error_body_has_appeal_id(stack, captcha_answer):
    text = f"Ikki marta yuborilgan murojaat ({os.urandom(4).hex()})."
    created = submit_appeal(stack.api_url, captcha_answer, text=text)
    session = requests.Session()
    session.trust_env = False
    captcha = session.post(f"{stack.api_url}/v1/captcha", json={}, timeout=30).json()
    body = {"agency_id": "mvd", "kind": "complaint", "text": text, "language": "uz",
            "applicant": {"full_name": "Aliyev Vali Karimovich", "address": "Toshkent sh., Chilonzor t., 5-uy",
                          "email": "vali@example.org"},
            "captcha_id": captcha["captcha_id"], "captcha_answer": captcha_answer}

    response = session.post(f"{stack.api_url}/v1/appeals", json=body, timeout=30)

    assert response.status_code == 409
    assert response.json()["error"]["details"] == {"appeal_id": created["appeal_id"]}


# ---------------------------------------------------------------- statistics

@pytest.mark.parametrize("failure", ["404", "network"])
def test_stats_unavailable_shows_message(page, stack, failure):
    def fail(route):
        if failure == "404":
            route.fulfill(status=404, body="{}", content_type="application/json",
                          headers={"Access-Control-Allow-Origin": stack.web_url})
        else:
            route.abort()

    page.route(f"{stack.api_url}/v1/stats*", fail)
    open_page(page, stack, "stats.html", "en")

    page.wait_for_function("() => document.getElementById('stats-status').dataset.i18n !== 'stats.loading'")

    assert page.text_content("#stats-status") == read_translations("en")["stats.unavailable"]
    assert page.is_hidden("#stats-content")


def test_stats_draws_bars_per_agency(page, stack, captcha_answer):
    for agency_id in ("mvd", "mvd", "minjust"):
        submit_appeal(stack.api_url, captcha_answer, agency_id=agency_id)
    run_stats_job(stack)
    published = requests.get(f"{stack.api_url}/v1/stats", timeout=30).json()
    assert published["computed_at"]

    open_page(page, stack, "stats.html", "en")
    page.wait_for_selector("#stats-content:not([hidden])")

    expected = sorted((agency for agency in published["agencies"] if agency["figures"]["appeals"]),
                      key=lambda agency: (-agency["figures"]["appeals"], agency["agency_id"]))
    names = page.eval_on_selector_all(".bar-name", "names => names.map(n => n.textContent)")
    assert names == [agency["name"]["en"] for agency in expected]
    widths = page.eval_on_selector_all(".bar-received", "bars => bars.map(b => Number(b.getAttribute('width')))")
    assert widths[0] == 100
    assert widths == sorted(widths, reverse=True)
    totals = page.text_content("#stats-totals")
    assert f"Appeals received{published['totals']['appeals']}" in totals


def run_stats_job(stack) -> None:
    """Run the hourly statistics job once against the stack's moto server."""
    from scripts.local_stack import DUMMY_AWS_ENVIRONMENT, local_stage_environment

    environment = {name: value for name, value in os.environ.items() if not name.startswith(("AWS_", "MOTO_"))}
    environment.update(DUMMY_AWS_ENVIRONMENT)
    environment.update(local_stage_environment())
    environment.update({"STAGE": "local", "AWS_ENDPOINT_URL": stack.aws_url, "NO_PROXY": "127.0.0.1"})
    result = subprocess.run([sys.executable, "-m", "chalicelib.jobs", "stats-recompute"], cwd=PROJECT_ROOT,
                            env=environment, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-2000:]


# ---------------------------------------------------------------- accessibility and layout

def show_index_errors(page, stack):
    wait_for_agencies(page)
    page.click("#submit-appeal")
    page.wait_for_selector("#error-summary .error-summary")


def show_followed_appeal(page, stack, appeal):
    page.fill("#access-code", appeal["access_code"])
    page.click("#show-appeal")
    page.wait_for_selector("#rating:not([hidden])")


PAGE_STATES = {
    "send form": ("index.html", None),
    "send errors": ("index.html", show_index_errors),
    "follow form": ("follow.html", None),
    "followed appeal": ("follow.html?id={appeal_id}", show_followed_appeal),
    "statistics": ("stats.html", None),
}


@pytest.mark.parametrize("state", PAGE_STATES)
@pytest.mark.parametrize("language", LANGUAGES)
def test_axe_finds_no_violations(page, stack, axe_script, answered_appeal, language, state):
    address, prepare = PAGE_STATES[state]
    open_page(page, stack, address.format(appeal_id=answered_appeal["appeal_id"]), language)
    if address.startswith("index"):
        wait_for_captcha(page)
    if prepare is show_followed_appeal:
        prepare(page, stack, answered_appeal)
    elif prepare:
        prepare(page, stack)

    violations = axe_violations(page, axe_script)

    assert violations == [], describe_violations(violations)


@pytest.mark.parametrize("width", [NARROW, WIDE])
@pytest.mark.parametrize("name", PAGES)
def test_page_fits_width_and_weight(page, stack, name, width):
    page.set_viewport_size({"width": width, "height": 800})
    meter = TransferMeter(page)

    page.goto(f"{stack.web_url}/{name}", wait_until="networkidle")

    assert meter.total <= MAX_FIRST_LOAD_BYTES, f"{meter.total} bytes; largest: {meter.largest()}"
    scroll_width = page.evaluate("() => document.documentElement.scrollWidth")
    assert scroll_width <= width, f"{name} is {scroll_width} px wide at {width} px"

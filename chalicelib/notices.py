"""Short e-mails to agencies about their deadlines, in the agency's language.

They name appeals by number only and carry no citizen's personal data.
"""
from __future__ import annotations

from datetime import datetime

from chalicelib.models import AgencyModel, OutboxModel
from chalicelib.outbox import new_message

BREACH = {
    "en": ("Appeal {appeal_id}: the term has passed",
           "The term for considering appeal {appeal_id} ended on {due_date} and the appeal has no answer yet.\n"
           "Answer it as soon as possible: {site_url}\n"),
    "ru": ("Обращение {appeal_id}: срок истёк",
           "Срок рассмотрения обращения {appeal_id} истёк {due_date}, а ответа ещё нет.\n"
           "Ответьте на него как можно скорее: {site_url}\n"),
    "uz": ("{appeal_id}-murojaat: muddat oʻtdi",
           "{appeal_id}-murojaatni koʻrib chiqish muddati {due_date} kuni tugadi, javob hali berilmagan.\n"
           "Iloji boricha tezroq javob bering: {site_url}\n"),
    "uz-Cyrl": ("{appeal_id}-мурожаат: муддат ўтди",
                "{appeal_id}-мурожаатни кўриб чиқиш муддати {due_date} куни тугади, жавоб ҳали берилмаган.\n"
                "Иложи борича тезроқ жавоб беринг: {site_url}\n"),
}

DUE_SOON = {
    "en": ("{count} appeals are due within two working days",
           "These appeals must be answered by the dates shown:\n{lines}\n"),
    "ru": ("Срок по {count} обращениям истекает в ближайшие два рабочих дня",
           "На эти обращения нужно ответить до указанных дат:\n{lines}\n"),
    "uz": ("{count} ta murojaatning muddati ikki ish kunida tugaydi",
           "Quyidagi murojaatlarga koʻrsatilgan sanagacha javob berish kerak:\n{lines}\n"),
    "uz-Cyrl": ("{count} та мурожаатнинг муддати икки иш кунида тугайди",
                "Қуйидаги мурожаатларга кўрсатилган санагача жавоб бериш керак:\n{lines}\n"),
}


def _language(agency: AgencyModel) -> str:
    return agency.language if agency.language in BREACH else "uz"


def breach_notice(agency: AgencyModel, appeal_id: str, due_date: str, site_url: str,
                  now: datetime) -> OutboxModel:
    language = _language(agency)
    subject, text = BREACH[language]
    params = {"appeal_id": appeal_id, "due_date": due_date, "site_url": site_url}
    return new_message(f"breach#{appeal_id}#{agency.agency_id}", kind="breach", recipient=agency.contact_email,
                       language=language, subject=subject.format(**params), text=text.format(**params),
                       html=None, now=now)


def due_soon_notice(agency: AgencyModel, day: str, appeals: list[tuple[str, str]], now: datetime) -> OutboxModel:
    language = _language(agency)
    subject, text = DUE_SOON[language]
    lines = "\n".join(f"  {appeal_id}: {due_date}" for appeal_id, due_date in appeals)
    return new_message(f"due-soon#{agency.agency_id}#{day}", kind="due_soon", recipient=agency.contact_email,
                       language=language, subject=subject.format(count=len(appeals)),
                       text=text.format(lines=lines), html=None, now=now)

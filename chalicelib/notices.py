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


# What the applicant is told, by event type. ZRU-445 requires telling the
# applicant about forwarding (Art 25), an extension (Art 28) and leaving the
# appeal without consideration (Art 30). Notices never contain the access code.
CITIZEN = {
    "submitted": {
        "en": ("Your appeal {appeal_id} is registered",
               "Your appeal is registered under number {appeal_id} and sent to {agency}.\n"
               "It must be considered by {due_date}.\nFollow it here: {link}\n"),
        "ru": ("Ваше обращение {appeal_id} зарегистрировано",
               "Ваше обращение зарегистрировано под номером {appeal_id} и направлено в орган: {agency}.\n"
               "Его должны рассмотреть до {due_date}.\nСледите за ним здесь: {link}\n"),
        "uz": ("{appeal_id}-murojaatingiz roʻyxatga olindi",
               "Murojaatingiz {appeal_id} raqami bilan roʻyxatga olindi va quyidagi tashkilotga yuborildi: {agency}.\n"
               "U {due_date} gacha koʻrib chiqilishi kerak.\nUni shu yerda kuzating: {link}\n"),
        "uz-Cyrl": ("{appeal_id}-мурожаатингиз рўйхатга олинди",
                    "Мурожаатингиз {appeal_id} рақами билан рўйхатга олинди ва қуйидаги ташкилотга юборилди: {agency}.\n"
                    "У {due_date} гача кўриб чиқилиши керак.\nУни шу ерда кузатинг: {link}\n"),
    },
    "forwarded": {
        "en": ("Your appeal {appeal_id} was forwarded",
               "Your appeal {appeal_id} was forwarded to {agency}, the body competent to consider it.\n"
               "Reason: {reason}\nNew due date: {due_date}.\nFollow it here: {link}\n"),
        "ru": ("Ваше обращение {appeal_id} перенаправлено",
               "Ваше обращение {appeal_id} направлено в компетентный орган: {agency}.\n"
               "Причина: {reason}\nНовый срок: {due_date}.\nСледите за ним здесь: {link}\n"),
        "uz": ("{appeal_id}-murojaatingiz boshqa tashkilotga yuborildi",
               "{appeal_id}-murojaatingiz uni koʻrib chiqishga vakolatli tashkilotga yuborildi: {agency}.\n"
               "Sabab: {reason}\nYangi muddat: {due_date}.\nUni shu yerda kuzating: {link}\n"),
        "uz-Cyrl": ("{appeal_id}-мурожаатингиз бошқа ташкилотга юборилди",
                    "{appeal_id}-мурожаатингиз уни кўриб чиқишга ваколатли ташкилотга юборилди: {agency}.\n"
                    "Сабаб: {reason}\nЯнги муддат: {due_date}.\nУни шу ерда кузатинг: {link}\n"),
    },
    "extended": {
        "en": ("The term of your appeal {appeal_id} was extended",
               "The head of {agency} extended the term of your appeal {appeal_id} to {due_date}.\n"
               "Reason: {reason}\nFollow it here: {link}\n"),
        "ru": ("Срок рассмотрения обращения {appeal_id} продлён",
               "Руководитель органа ({agency}) продлил срок рассмотрения вашего обращения {appeal_id} до {due_date}.\n"
               "Причина: {reason}\nСледите за ним здесь: {link}\n"),
        "uz": ("{appeal_id}-murojaatingizni koʻrib chiqish muddati uzaytirildi",
               "Tashkilot ({agency}) rahbari {appeal_id}-murojaatingizni koʻrib chiqish muddatini {due_date} gacha uzaytirdi.\n"
               "Sabab: {reason}\nUni shu yerda kuzating: {link}\n"),
        "uz-Cyrl": ("{appeal_id}-мурожаатингизни кўриб чиқиш муддати узайтирилди",
                    "Ташкилот ({agency}) раҳбари {appeal_id}-мурожаатингизни кўриб чиқиш муддатини {due_date} гача узайтирди.\n"
                    "Сабаб: {reason}\nУни шу ерда кузатинг: {link}\n"),
    },
    "dismissed": {
        "en": ("Your appeal {appeal_id} was left without consideration",
               "{agency} left your appeal {appeal_id} without consideration.\nReason: {reason}\nDetails: {link}\n"),
        "ru": ("Ваше обращение {appeal_id} оставлено без рассмотрения",
               "Орган ({agency}) оставил ваше обращение {appeal_id} без рассмотрения.\nПричина: {reason}\nПодробнее: {link}\n"),
        "uz": ("{appeal_id}-murojaatingiz koʻrmasdan qoldirildi",
               "Tashkilot ({agency}) {appeal_id}-murojaatingizni koʻrmasdan qoldirdi.\nSabab: {reason}\nBatafsil: {link}\n"),
        "uz-Cyrl": ("{appeal_id}-мурожаатингиз кўрмасдан қолдирилди",
                    "Ташкилот ({agency}) {appeal_id}-мурожаатингизни кўрмасдан қолдирди.\nСабаб: {reason}\nБатафсил: {link}\n"),
    },
    "merged": {
        "en": ("Your appeal {appeal_id} is joined to your earlier appeal",
               "{agency} found that your appeal {appeal_id} repeats your earlier appeal, which is still "
               "under consideration. Both are considered together, and the answer comes to the earlier one.\n"
               "Details: {link}\n"),
        "ru": ("Ваше обращение {appeal_id} присоединено к вашему прежнему обращению",
               "Орган ({agency}) установил, что обращение {appeal_id} повторяет ваше прежнее обращение, которое ещё "
               "рассматривается. Они рассматриваются вместе, ответ будет дан на прежнее обращение.\n"
               "Подробнее: {link}\n"),
        "uz": ("{appeal_id}-murojaatingiz avvalgi murojaatingizga qoʻshildi",
               "Tashkilot ({agency}) {appeal_id}-murojaatingiz hali koʻrib chiqilayotgan avvalgi murojaatingizni "
               "takrorlashini aniqladi. Ular birga koʻrib chiqiladi, javob avvalgi murojaatga beriladi.\n"
               "Batafsil: {link}\n"),
        "uz-Cyrl": ("{appeal_id}-мурожаатингиз аввалги мурожаатингизга қўшилди",
                    "Ташкилот ({agency}) {appeal_id}-мурожаатингиз ҳали кўриб чиқилаётган аввалги мурожаатингизни "
                    "такрорлашини аниқлади. Улар бирга кўриб чиқилади, жавоб аввалги мурожаатга берилади.\n"
                    "Батафсил: {link}\n"),
    },
    "answered": {
        "en": ("Your appeal {appeal_id} has an answer",
               "{agency} has answered your appeal {appeal_id}.\n"
               "Read the answer with your access code here, and rate it: {link}\n"),
        "ru": ("На ваше обращение {appeal_id} дан ответ",
               "Орган ({agency}) ответил на ваше обращение {appeal_id}.\n"
               "Прочитайте ответ с вашим кодом доступа и оцените его: {link}\n"),
        "uz": ("{appeal_id}-murojaatingizga javob berildi",
               "Tashkilot ({agency}) {appeal_id}-murojaatingizga javob berdi.\n"
               "Javobni kirish kodingiz bilan shu yerda oʻqing va baholang: {link}\n"),
        "uz-Cyrl": ("{appeal_id}-мурожаатингизга жавоб берилди",
                    "Ташкилот ({agency}) {appeal_id}-мурожаатингизга жавоб берди.\n"
                    "Жавобни кириш кодингиз билан шу ерда ўқинг ва баҳоланг: {link}\n"),
    },
}


def agency_name(agency_id: str, language: str) -> str:
    agency = AgencyModel.get(agency_id)
    names = {"uz": agency.name.uz, "uz-Cyrl": agency.name.uz_cyrl, "ru": agency.name.ru, "en": agency.name.en}
    return names.get(language, agency.name.uz)


def citizen_notice(*, appeal_id: str, seq: int, event_type: str, email: str | None, language: str,
                   agency_id: str, due_date: str, reason: str | None, site_url: str,
                   now: datetime) -> OutboxModel | None:
    """Build the applicant's notice of an event, or None when there is no e-mail or nothing to tell."""
    if not email or event_type not in CITIZEN:
        return None
    language = language if language in CITIZEN[event_type] else "uz"
    subject, text = CITIZEN[event_type][language]
    # The link opens the follow page, which changes nothing until the access code is entered.
    params = {
        "appeal_id": appeal_id,
        "agency": agency_name(agency_id, language),
        "due_date": due_date,
        "reason": reason or "",
        "link": f"{site_url.rstrip('/')}/follow.html?id={appeal_id}",
    }
    return new_message(f"citizen#{appeal_id}#{seq:06d}", kind=f"citizen_{event_type}", recipient=email,
                       language=language, subject=subject.format(**params), text=text.format(**params),
                       html=None, now=now)


# The only message that contains an access code: sent to the appeal's own
# e-mail address when the citizen asks for a new code.
ACCESS_CODE = {
    "en": ("New access code for your appeal {appeal_id}",
           "A new access code for your appeal {appeal_id} was requested on the portal.\n"
           "New access code: {access_code}\n"
           "The previous code no longer works. Follow the appeal here: {link}\n"
           "If you did not request a new code, keep this one: nobody else has received it.\n"),
    "ru": ("Новый код доступа к обращению {appeal_id}",
           "На портале запрошен новый код доступа к вашему обращению {appeal_id}.\n"
           "Новый код доступа: {access_code}\n"
           "Прежний код больше не действует. Следите за обращением здесь: {link}\n"
           "Если вы не запрашивали новый код, сохраните этот: больше его никто не получил.\n"),
    "uz": ("{appeal_id}-murojaatingiz uchun yangi kirish kodi",
           "Portalda {appeal_id}-murojaatingiz uchun yangi kirish kodi soʻraldi.\n"
           "Yangi kirish kodi: {access_code}\n"
           "Avvalgi kod endi ishlamaydi. Murojaatni shu yerda kuzating: {link}\n"
           "Agar yangi kodni siz soʻramagan boʻlsangiz, shu kodni saqlang: uni boshqa hech kim olmagan.\n"),
    "uz-Cyrl": ("{appeal_id}-мурожаатингиз учун янги кириш коди",
                "Порталда {appeal_id}-мурожаатингиз учун янги кириш коди сўралди.\n"
                "Янги кириш коди: {access_code}\n"
                "Аввалги код энди ишламайди. Мурожаатни шу ерда кузатинг: {link}\n"
                "Агар янги кодни сиз сўрамаган бўлсангиз, шу кодни сақланг: уни бошқа ҳеч ким олмаган.\n"),
}

# A reminder to rate an answer that was read but not rated; it has no access code.
RATING_REMINDER = {
    "en": ("Rate the answer to your appeal {appeal_id}",
           "You have read the answer of {agency} to your appeal {appeal_id}, but have not rated it yet.\n"
           "Your rating shows everyone how well state bodies answer. "
           "Rate it with your access code here: {link}\n"),
    "ru": ("Оцените ответ на ваше обращение {appeal_id}",
           "Вы прочитали ответ органа ({agency}) на ваше обращение {appeal_id}, но ещё не оценили его.\n"
           "Ваша оценка показывает всем, насколько хорошо отвечают государственные органы. "
           "Оцените ответ с вашим кодом доступа здесь: {link}\n"),
    "uz": ("{appeal_id}-murojaatingizga berilgan javobni baholang",
           "Siz tashkilotning ({agency}) {appeal_id}-murojaatingizga bergan javobini oʻqidingiz, "
           "lekin hali baholamadingiz.\n"
           "Bahoyingiz davlat organlari qanchalik yaxshi javob berishini hammaga koʻrsatadi. "
           "Javobni kirish kodingiz bilan shu yerda baholang: {link}\n"),
    "uz-Cyrl": ("{appeal_id}-мурожаатингизга берилган жавобни баҳоланг",
                "Сиз ташкилотнинг ({agency}) {appeal_id}-мурожаатингизга берган жавобини ўқидингиз, "
                "лекин ҳали баҳоламадингиз.\n"
                "Баҳоингиз давлат органлари қанчалик яхши жавоб беришини ҳаммага кўрсатади. "
                "Жавобни кириш кодингиз билан шу ерда баҳоланг: {link}\n"),
}


def follow_link(site_url: str, appeal_id: str) -> str:
    return f"{site_url.rstrip('/')}/follow.html?id={appeal_id}"


def access_code_notice(*, appeal_id: str, seq: int, email: str, language: str, access_code: str,
                       site_url: str, now: datetime) -> OutboxModel:
    """Build the e-mail with a new access code; its id names the appeal event that set the code."""
    language = language if language in ACCESS_CODE else "uz"
    subject, text = ACCESS_CODE[language]
    params = {"appeal_id": appeal_id, "access_code": access_code, "link": follow_link(site_url, appeal_id)}
    return new_message(f"access-code#{appeal_id}#{seq:06d}", kind="access_code", recipient=email,
                       language=language, subject=subject.format(**params), text=text.format(**params),
                       html=None, now=now)


def rating_reminder_notice(*, appeal_id: str, email: str, language: str, agency_id: str, site_url: str,
                           now: datetime) -> OutboxModel:
    """Build the one reminder to rate an appeal's answer; its id allows one per appeal."""
    language = language if language in RATING_REMINDER else "uz"
    subject, text = RATING_REMINDER[language]
    params = {"appeal_id": appeal_id, "agency": agency_name(agency_id, language),
              "link": follow_link(site_url, appeal_id)}
    return new_message(f"rate-reminder#{appeal_id}", kind="rating_reminder", recipient=email,
                       language=language, subject=subject.format(**params), text=text.format(**params),
                       html=None, now=now)

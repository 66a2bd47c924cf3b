"""Translated texts of API error messages, and the choice of language from Accept-Language.

Each error code maps to a str.format template per language. Placeholders are the
same in every language: {field} is the JSON path of the offending field (for
example applicant.full_name). {reason} is passed in English by the caller and
appears as given in every language.
"""
from __future__ import annotations

LANGUAGES = ("uz", "uz-Cyrl", "ru", "en")
DEFAULT_LANGUAGE = "en"

MESSAGES: dict[str, dict[str, str]] = {
    "invalid_json": {
        "en": "The request body is not valid JSON. Send a JSON object.",
        "ru": "Тело запроса не является корректным JSON. Отправьте JSON-объект.",
        "uz": "Soʻrov tanasi yaroqli JSON emas. JSON obyektini yuboring.",
        "uz-Cyrl": "Сўров танаси яроқли JSON эмас. JSON объектини юборинг.",
    },
    "body_not_object": {
        "en": "The request body must be a JSON object.",
        "ru": "Тело запроса должно быть JSON-объектом.",
        "uz": "Soʻrov tanasi JSON obyekti boʻlishi kerak.",
        "uz-Cyrl": "Сўров танаси JSON объекти бўлиши керак.",
    },
    "field_required": {
        "en": "The field {field} is required. Fill it in and send again.",
        "ru": "Поле {field} обязательно для заполнения. Заполните его и отправьте снова.",
        "uz": "{field} maydoni toʻldirilishi shart. Uni toʻldirib, qaytadan yuboring.",
        "uz-Cyrl": "{field} майдони тўлдирилиши шарт. Уни тўлдириб, қайтадан юборинг.",
    },
    "field_invalid": {
        "en": "The field {field} is invalid: {reason}",
        "ru": "Поле {field} заполнено неверно: {reason}",
        "uz": "{field} maydoni notoʻgʻri toʻldirilgan: {reason}",
        "uz-Cyrl": "{field} майдони нотўғри тўлдирилган: {reason}",
    },
    "field_too_long": {
        "en": "The field {field} is too long: at most {limit} characters.",
        "ru": "Поле {field} слишком длинное. Максимальная длина в символах: {limit}.",
        "uz": "{field} maydoni juda uzun: koʻpi bilan {limit} ta belgi.",
        "uz-Cyrl": "{field} майдони жуда узун: кўпи билан {limit} та белги.",
    },
    "payload_too_large": {
        "en": "The request is too large: at most {limit} bytes.",
        "ru": "Запрос слишком большой. Максимальный размер в байтах: {limit}.",
        "uz": "Soʻrov hajmi juda katta: koʻpi bilan {limit} bayt.",
        "uz-Cyrl": "Сўров ҳажми жуда катта: кўпи билан {limit} байт.",
    },
    "anonymous_appeal": {
        "en": (
            "An appeal must give the applicant's full name and address; anonymous appeals "
            "are not considered (ZRU-445 Art 6 and 29). Fill in {field}."
        ),
        "ru": (
            "В обращении должны быть указаны фамилия, имя, отчество и адрес заявителя: "
            "анонимные обращения не рассматриваются (ЗРУ-445, статьи 6 и 29). "
            "Заполните поле {field}."
        ),
        "uz": (
            "Murojaatda murojaat qiluvchining familiyasi, ismi, otasining ismi va manzili "
            "koʻrsatilishi kerak: anonim murojaatlar koʻrib chiqilmaydi (OʻRQ-445, 6 va "
            "29-moddalar). {field} maydonini toʻldiring."
        ),
        "uz-Cyrl": (
            "Мурожаатда мурожаат қилувчининг фамилияси, исми, отасининг исми ва манзили "
            "кўрсатилиши керак: аноним мурожаатлар кўриб чиқилмайди (ЎРҚ-445, 6 ва "
            "29-моддалар). {field} майдонини тўлдиринг."
        ),
    },
    "contact_required": {
        "en": "Give at least an e-mail address or a phone number so that the agency can reach you.",
        "ru": (
            "Укажите хотя бы адрес электронной почты или номер телефона, "
            "чтобы ведомство могло с вами связаться."
        ),
        "uz": (
            "Idora siz bilan bogʻlana olishi uchun kamida elektron pochta manzili "
            "yoki telefon raqamini koʻrsating."
        ),
        "uz-Cyrl": (
            "Идора сиз билан боғлана олиши учун камида электрон почта манзили "
            "ёки телефон рақамини кўрсатинг."
        ),
    },
    "invalid_email": {
        "en": "The e-mail address in {field} is invalid. Check it and send again.",
        "ru": "Адрес электронной почты в поле {field} указан неверно. Проверьте его и отправьте снова.",
        "uz": "{field} maydonidagi elektron pochta manzili notoʻgʻri. Uni tekshirib, qaytadan yuboring.",
        "uz-Cyrl": "{field} майдонидаги электрон почта манзили нотўғри. Уни текшириб, қайтадан юборинг.",
    },
    "invalid_phone": {
        "en": "The phone number in {field} is invalid. Write it as +998 XX XXX-XX-XX.",
        "ru": "Номер телефона в поле {field} указан неверно. Укажите его в формате +998 XX XXX-XX-XX.",
        "uz": "{field} maydonidagi telefon raqami notoʻgʻri. Uni +998 XX XXX-XX-XX koʻrinishida yozing.",
        "uz-Cyrl": "{field} майдонидаги телефон рақами нотўғри. Уни +998 XX XXX-XX-XX кўринишида ёзинг.",
    },
    "invalid_choice": {
        "en": "The field {field} must be one of: {choices}.",
        "ru": "Поле {field} должно иметь одно из значений: {choices}.",
        "uz": "{field} maydoni quyidagi qiymatlardan biri boʻlishi kerak: {choices}.",
        "uz-Cyrl": "{field} майдони қуйидаги қийматлардан бири бўлиши керак: {choices}.",
    },
    "agency_not_found": {
        "en": "No connected agency has the id {agency_id}. Choose an agency from the list.",
        "ru": (
            "Среди подключённых ведомств нет ведомства с идентификатором {agency_id}. "
            "Выберите ведомство из списка."
        ),
        "uz": "{agency_id} identifikatorli ulangan idora topilmadi. Idorani roʻyxatdan tanlang.",
        "uz-Cyrl": "{agency_id} идентификаторли уланган идора топилмади. Идорани рўйхатдан танланг.",
    },
    "captcha_wrong": {
        "en": (
            "The characters from the picture do not match. A new picture has been requested; "
            "type its characters."
        ),
        "ru": "Символы с картинки введены неверно. Запрошена новая картинка: введите символы с неё.",
        "uz": "Rasmdagi belgilar mos kelmadi. Yangi rasm soʻraldi, uning belgilarini kiriting.",
        "uz-Cyrl": "Расмдаги белгилар мос келмади. Янги расм сўралди, унинг белгиларини киритинг.",
    },
    "captcha_expired": {
        "en": "The picture has expired or was already used. Request a new one.",
        "ru": "Срок действия картинки истёк, или она уже использована. Запросите новую.",
        "uz": (
            "Rasmning amal qilish muddati tugagan yoki u allaqachon ishlatilgan. "
            "Yangisini soʻrang."
        ),
        "uz-Cyrl": (
            "Расмнинг амал қилиш муддати тугаган ёки у аллақачон ишлатилган. "
            "Янгисини сўранг."
        ),
    },
    "captcha_not_found": {
        "en": "The picture was not found. Request a new one.",
        "ru": "Картинка не найдена. Запросите новую.",
        "uz": "Rasm topilmadi. Yangisini soʻrang.",
        "uz-Cyrl": "Расм топилмади. Янгисини сўранг.",
    },
    "appeal_not_found": {
        "en": "No appeal {appeal_id} was found. Check the number.",
        "ru": "Обращение {appeal_id} не найдено. Проверьте номер.",
        "uz": "{appeal_id} raqamli murojaat topilmadi. Raqamni tekshiring.",
        "uz-Cyrl": "{appeal_id} рақамли мурожаат топилмади. Рақамни текширинг.",
    },
    "access_code_required": {
        "en": "Enter the access code you received when you sent the appeal.",
        "ru": "Введите код доступа, который вы получили при отправке обращения.",
        "uz": "Murojaatni yuborganingizda olgan kirish kodini kiriting.",
        "uz-Cyrl": "Мурожаатни юборганингизда олган кириш кодини киритинг.",
    },
    "access_code_invalid": {
        "en": (
            "The access code does not match this appeal. Check it; if you lost it, "
            "ask for a new one by e-mail."
        ),
        "ru": (
            "Код доступа не подходит к этому обращению. Проверьте его, а если вы его потеряли, "
            "запросите новый по электронной почте."
        ),
        "uz": (
            "Kirish kodi bu murojaatga mos kelmaydi. Uni tekshiring, agar yoʻqotgan boʻlsangiz, "
            "elektron pochta orqali yangisini soʻrang."
        ),
        "uz-Cyrl": (
            "Кириш коди бу мурожаатга мос келмайди. Уни текширинг, агар йўқотган бўлсангиз, "
            "электрон почта орқали янгисини сўранг."
        ),
    },
    "rating_before_read": {
        "en": "You can rate the answer only after reading it.",
        "ru": "Оценить ответ можно только после того, как вы его прочитаете.",
        "uz": "Javobni faqat uni oʻqib chiqqaningizdan keyin baholashingiz mumkin.",
        "uz-Cyrl": "Жавобни фақат уни ўқиб чиққанингиздан кейин баҳолашингиз мумкин.",
    },
    "rating_not_answered": {
        "en": "This appeal has no answer yet, so it cannot be rated.",
        "ru": "На это обращение ещё нет ответа, поэтому его нельзя оценить.",
        "uz": "Bu murojaatga hali javob berilmagan, shuning uchun uni baholab boʻlmaydi.",
        "uz-Cyrl": "Бу мурожаатга ҳали жавоб берилмаган, шунинг учун уни баҳолаб бўлмайди.",
    },
    "already_answered": {
        "en": "This appeal already has an answer.",
        "ru": "На это обращение уже дан ответ.",
        "uz": "Bu murojaatga allaqachon javob berilgan.",
        "uz-Cyrl": "Бу мурожаатга аллақачон жавоб берилган.",
    },
    "invalid_state": {
        "en": "This action is not allowed while the appeal's status is {status}.",
        "ru": "Это действие недоступно, пока обращение находится в статусе {status}.",
        "uz": "Murojaat {status} holatida turganda bu amalni bajarib boʻlmaydi.",
        "uz-Cyrl": "Мурожаат {status} ҳолатида турганда бу амални бажариб бўлмайди.",
    },
    "same_agency": {
        "en": "The appeal is already at this agency. Choose the competent agency to forward it to.",
        "ru": "Обращение уже находится в этом органе. Выберите компетентный орган, которому его нужно направить.",
        "uz": "Murojaat allaqachon shu tashkilotda. Uni yuborish uchun vakolatli tashkilotni tanlang.",
        "uz-Cyrl": "Мурожаат аллақачон шу ташкилотда. Уни юбориш учун ваколатли ташкилотни танланг.",
    },
    "forward_window_passed": {
        "en": "An appeal may be forwarded only within 5 days of its receipt ({received_on}); the last day was {last_day}. Consider it or leave it without consideration.",
        "ru": "Обращение можно направить только в течение 5 дней со дня поступления ({received_on}); последний день был {last_day}. Рассмотрите его или оставьте без рассмотрения.",
        "uz": "Murojaatni faqat kelib tushgan kundan ({received_on}) boshlab 5 kun ichida yuborish mumkin; oxirgi kun {last_day} edi. Uni koʻrib chiqing yoki koʻrmasdan qoldiring.",
        "uz-Cyrl": "Мурожаатни фақат келиб тушган кундан ({received_on}) бошлаб 5 кун ичида юбориш мумкин; охирги кун {last_day} эди. Уни кўриб чиқинг ёки кўрмасдан қолдиринг.",
    },
    "already_extended": {
        "en": "The term of this appeal was already extended once, to {due_date}; it cannot be extended again.",
        "ru": "Срок рассмотрения этого обращения уже продлевался до {due_date}; повторное продление не допускается.",
        "uz": "Bu murojaatni koʻrib chiqish muddati bir marta {due_date} gacha uzaytirilgan; uni qayta uzaytirib boʻlmaydi.",
        "uz-Cyrl": "Бу мурожаатни кўриб чиқиш муддати бир марта {due_date} гача узайтирилган; уни қайта узайтириб бўлмайди.",
    },
    "extension_too_late": {
        "en": "The term ended on {due_date}; it can no longer be extended. Answer the appeal.",
        "ru": "Срок истёк {due_date}; продлить его уже нельзя. Ответьте на обращение.",
        "uz": "Muddat {due_date} kuni tugagan; uni endi uzaytirib boʻlmaydi. Murojaatga javob bering.",
        "uz-Cyrl": "Муддат {due_date} куни тугаган; уни энди узайтириб бўлмайди. Мурожаатга жавоб беринг.",
    },
    "extension_out_of_range": {
        "en": "The new due date must be after {due_date} and no later than {cap}.",
        "ru": "Новый срок должен быть позже {due_date} и не позднее {cap}.",
        "uz": "Yangi muddat {due_date} dan keyin va {cap} dan kechiktirilmagan boʻlishi kerak.",
        "uz-Cyrl": "Янги муддат {due_date} дан кейин ва {cap} дан кечиктирилмаган бўлиши керак.",
    },
    "study_not_applicable": {
        "en": "A proposal is already considered within one month; additional study does not change its term.",
        "ru": "Предложение и так рассматривается в течение месяца; дополнительное изучение не меняет срок.",
        "uz": "Taklif baribir bir oy ichida koʻrib chiqiladi; qoʻshimcha oʻrganish muddatni oʻzgartirmaydi.",
        "uz-Cyrl": "Таклиф барибир бир ой ичида кўриб чиқилади; қўшимча ўрганиш муддатни ўзгартирмайди.",
    },
    "already_studied": {
        "en": "This appeal was already taken for additional study.",
        "ru": "Это обращение уже взято на дополнительное изучение.",
        "uz": "Bu murojaat allaqachon qoʻshimcha oʻrganishga olingan.",
        "uz-Cyrl": "Бу мурожаат аллақачон қўшимча ўрганишга олинган.",
    },
    "not_a_duplicate": {
        "en": "Appeal {appeal_id} is not a duplicate of {into_appeal_id}: a duplicate comes from the same applicant after the original.",
        "ru": "Обращение {appeal_id} не является дубликатом обращения {into_appeal_id}: дубликат подаёт тот же заявитель позже оригинала.",
        "uz": "{appeal_id}-murojaat {into_appeal_id}-murojaatning takrori emas: takror murojaatni oʻsha arizachi asl murojaatdan keyin yuboradi.",
        "uz-Cyrl": "{appeal_id}-мурожаат {into_appeal_id}-мурожаатнинг такрори эмас: такрор мурожаатни ўша аризачи асл мурожаатдан кейин юборади.",
    },
    "text_already_hidden": {
        "en": "The text of this appeal is already hidden.",
        "ru": "Текст этого обращения уже скрыт.",
        "uz": "Bu murojaatning matni allaqachon yashirilgan.",
        "uz-Cyrl": "Бу мурожаатнинг матни аллақачон яширилган.",
    },
    "conflict": {
        "en": "The appeal was changed by someone else at the same time. Reload it and try again.",
        "ru": "Обращение одновременно изменил кто-то другой. Загрузите его заново и повторите попытку.",
        "uz": (
            "Murojaat bir vaqtning oʻzida boshqa birov tomonidan oʻzgartirildi. "
            "Uni qayta yuklab, yana urinib koʻring."
        ),
        "uz-Cyrl": (
            "Мурожаат бир вақтнинг ўзида бошқа биров томонидан ўзгартирилди. "
            "Уни қайта юклаб, яна уриниб кўринг."
        ),
    },
    "auth_required": {
        "en": "Send an API key in the Authorization header: Bearer <key>.",
        "ru": "Передайте API-ключ в заголовке Authorization: Bearer <ключ>.",
        "uz": "API kalitini Authorization sarlavhasida yuboring: Bearer <kalit>.",
        "uz-Cyrl": "API калитини Authorization сарлавҳасида юборинг: Bearer <калит>.",
    },
    "api_key_invalid": {
        "en": "The API key is invalid or revoked.",
        "ru": "API-ключ недействителен или отозван.",
        "uz": "API kaliti yaroqsiz yoki bekor qilingan.",
        "uz-Cyrl": "API калити яроқсиз ёки бекор қилинган.",
    },
    "forbidden_role": {
        "en": "Your key's role ({role}) may not do this; it needs {required}.",
        "ru": "Роли вашего ключа ({role}) это действие не разрешено: нужна роль {required}.",
        "uz": "Kalitingiz roli ({role}) bu amalga ruxsat bermaydi: {required} roli kerak.",
        "uz-Cyrl": "Калитингиз роли ({role}) бу амалга рухсат бермайди: {required} роли керак.",
    },
    "not_found": {
        "en": "Nothing was found at this address.",
        "ru": "По этому адресу ничего не найдено.",
        "uz": "Bu manzilda hech narsa topilmadi.",
        "uz-Cyrl": "Бу манзилда ҳеч нарса топилмади.",
    },
    "method_not_allowed": {
        "en": "This method is not allowed here.",
        "ru": "Этот метод запроса здесь не разрешён.",
        "uz": "Bu manzil uchun ushbu soʻrov usuliga ruxsat berilmagan.",
        "uz-Cyrl": "Бу манзил учун ушбу сўров усулига рухсат берилмаган.",
    },
    "key_not_found": {
        "en": "No API key {key_id} was found.",
        "ru": "API-ключ {key_id} не найден.",
        "uz": "{key_id} API kaliti topilmadi.",
        "uz-Cyrl": "{key_id} API калити топилмади.",
    },
    "recipient_not_found": {
        "en": "No digest recipient with this id was found. List the recipients to find the right id.",
        "ru": "Получатель сводки с таким идентификатором не найден. Найдите нужный идентификатор в списке получателей.",
        "uz": "Bunday identifikatorli hisobot oluvchi topilmadi. Toʻgʻri identifikatorni oluvchilar roʻyxatidan toping.",
        "uz-Cyrl": "Бундай идентификаторли ҳисобот олувчи топилмади. Тўғри идентификаторни олувчилар рўйхатидан топинг.",
    },
    "agency_exists": {
        "en": "An agency with the id {agency_id} already exists.",
        "ru": "Ведомство с идентификатором {agency_id} уже существует.",
        "uz": "{agency_id} identifikatorli idora allaqachon mavjud.",
        "uz-Cyrl": "{agency_id} идентификаторли идора аллақачон мавжуд.",
    },
    "rate_limited": {
        "en": "Too many attempts. Try again in {retry_after} seconds.",
        "ru": "Слишком много попыток. Повторите попытку через {retry_after} с.",
        "uz": "Urinishlar soni juda koʻp. {retry_after} soniyadan keyin qayta urinib koʻring.",
        "uz-Cyrl": "Уринишлар сони жуда кўп. {retry_after} сониядан кейин қайта уриниб кўринг.",
    },
    "no_email_on_appeal": {
        "en": (
            "Appeal {appeal_id} has no e-mail address, so a new access code cannot be sent. "
            "Contact the agency the appeal was sent to, give the appeal number and ask for help."
        ),
        "ru": (
            "В обращении {appeal_id} не указан адрес электронной почты, поэтому новый код доступа "
            "отправить нельзя. Обратитесь в ведомство, куда направлено обращение, назовите номер "
            "обращения и попросите помощи."
        ),
        "uz": (
            "{appeal_id}-murojaatda elektron pochta manzili koʻrsatilmagan, shuning uchun yangi kirish "
            "kodini yuborib boʻlmaydi. Murojaat yuborilgan idoraga murojaat raqamini aytib, yordam soʻrang."
        ),
        "uz-Cyrl": (
            "{appeal_id}-мурожаатда электрон почта манзили кўрсатилмаган, шунинг учун янги кириш "
            "кодини юбориб бўлмайди. Мурожаат юборилган идорага мурожаат рақамини айтиб, ёрдам сўранг."
        ),
    },
    "unavailable": {
        "en": "The service is busy. Try again in {retry_after} seconds.",
        "ru": "Сервис перегружен. Повторите попытку через {retry_after} с.",
        "uz": "Xizmat band. {retry_after} soniyadan keyin qayta urinib koʻring.",
        "uz-Cyrl": "Хизмат банд. {retry_after} сониядан кейин қайта уриниб кўринг.",
    },
    "internal_error": {
        "en": "Something went wrong on our side. Try again later.",
        "ru": "На нашей стороне произошла ошибка. Повторите попытку позже.",
        "uz": "Bizning tomonda xatolik yuz berdi. Keyinroq qayta urinib koʻring.",
        "uz-Cyrl": "Бизнинг томонда хатолик юз берди. Кейинроқ қайта уриниб кўринг.",
    },
    "unsupported_media_type": {
        "en": "Send the body as application/json.",
        "ru": "Отправьте тело запроса в формате application/json.",
        "uz": "Soʻrov tanasini application/json formatida yuboring.",
        "uz-Cyrl": "Сўров танасини application/json форматида юборинг.",
    },
    "idempotency_key_invalid": {
        "en": (
            "The Idempotency-Key header must be 1 to 200 printable ASCII characters. "
            "Send a new random key, such as a UUID."
        ),
        "ru": (
            "Заголовок Idempotency-Key должен содержать от 1 до 200 печатных символов ASCII. "
            "Отправьте новый случайный ключ, например UUID."
        ),
        "uz": (
            "Idempotency-Key sarlavhasi 1 tadan 200 tagacha bosiladigan ASCII belgidan iborat boʻlishi kerak. "
            "Yangi tasodifiy kalit, masalan UUID yuboring."
        ),
        "uz-Cyrl": (
            "Idempotency-Key сарлавҳаси 1 тадан 200 тагача босиладиган ASCII белгидан иборат бўлиши керак. "
            "Янги тасодифий калит, масалан UUID юборинг."
        ),
    },
    "idempotency_key_reused": {
        "en": "This Idempotency-Key was already used for a different request. Send a new key with a new request.",
        "ru": "Этот Idempotency-Key уже использован для другого запроса. Отправьте новый запрос с новым ключом.",
        "uz": "Bu Idempotency-Key boshqa soʻrov uchun allaqachon ishlatilgan. Yangi soʻrovni yangi kalit bilan yuboring.",
        "uz-Cyrl": "Бу Idempotency-Key бошқа сўров учун аллақачон ишлатилган. Янги сўровни янги калит билан юборинг.",
    },
    "idempotency_in_progress": {
        "en": "The same request is still being processed. Wait a few seconds, then check the result or send it again.",
        "ru": (
            "Такой же запрос ещё обрабатывается. Подождите несколько секунд, "
            "затем проверьте результат или повторите запрос."
        ),
        "uz": (
            "Xuddi shu soʻrov hali bajarilmoqda. Bir necha soniya kutib, "
            "natijani tekshiring yoki soʻrovni qayta yuboring."
        ),
        "uz-Cyrl": (
            "Худди шу сўров ҳали бажарилмоқда. Бир неча сония кутиб, "
            "натижани текширинг ёки сўровни қайта юборинг."
        ),
    },
    "duplicate_submission": {
        "en": (
            "The same appeal was sent moments ago and registered as {appeal_id}, so it was not "
            "registered again. Use that number and the access code you received."
        ),
        "ru": (
            "Такое же обращение только что отправлено и зарегистрировано под номером {appeal_id}, "
            "поэтому повторно оно не зарегистрировано. Используйте этот номер и полученный код доступа."
        ),
        "uz": (
            "Xuddi shu murojaat hozirgina yuborilib, {appeal_id} raqami bilan roʻyxatga olingan, "
            "shuning uchun u qayta roʻyxatga olinmadi. Shu raqam va olgan kirish kodingizdan foydalaning."
        ),
        "uz-Cyrl": (
            "Худди шу мурожаат ҳозиргина юборилиб, {appeal_id} рақами билан рўйхатга олинган, "
            "шунинг учун у қайта рўйхатга олинмади. Шу рақам ва олган кириш кодингиздан фойдаланинг."
        ),
    },
}


class _KeepMissingPlaceholders(dict):
    """Mapping of format parameters in which a missing placeholder renders as itself, {name}."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def message(code: str, language: str, **params) -> str:
    """Format the message for `code` in `language`.

    A language tag that is not a key of the templates, such as ru-RU, is mapped
    the way pick_language maps it, and to English when nothing fits. An unknown
    code returns the code itself. A placeholder without a parameter stays in the
    text as {name} rather than raising KeyError.
    """
    templates = MESSAGES.get(code)
    if templates is None:
        return code

    template = templates.get(language)
    if template is None:
        template = templates.get(_match_language(language or "") or DEFAULT_LANGUAGE)
    if template is None:
        template = templates.get(DEFAULT_LANGUAGE, code)

    return template.format_map(_KeepMissingPlaceholders(params))


def _match_language(tag: str) -> str | None:
    """Map a BCP 47 language tag to one of LANGUAGES, or None when none fits."""
    subtags = tag.strip().replace("_", "-").lower().split("-")
    primary = subtags[0]
    if primary == "uz":
        # Latin is the official script, so uz without a script subtag (uz, uz-UZ) is Latin.
        return "uz-Cyrl" if "cyrl" in subtags[1:] else "uz"
    if primary in ("ru", "en"):
        return primary
    return None


def _parse_quality(parameters: list[str]) -> float | None:
    """Return the q-value among a language range's parameters: 1.0 when absent, None when malformed."""
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() != "q":
            continue
        try:
            quality = float(value.strip())
        except ValueError:
            return None
        if not 0.0 <= quality <= 1.0:
            return None
        return quality
    return 1.0


def pick_language(accept_language: str | None) -> str:
    """Choose the response language from an Accept-Language header (RFC 9110).

    Returns the supported language with the highest q-value, and on a tie the one
    listed first. Tags match case-insensitively and by their primary subtag:
    uz, uz-Latn and uz-UZ give "uz", any uz tag with Cyrl gives "uz-Cyrl", ru-RU
    gives "ru", en-US gives "en". A wildcard (*) counts as English. Ranges with
    q=0 or a malformed q-value are skipped. With no supported language, or no
    header, the result is "en".
    """
    if not accept_language:
        return DEFAULT_LANGUAGE

    candidates: list[tuple[float, int, str]] = []
    for position, item in enumerate(accept_language.split(",")):
        tag, *parameters = item.split(";")
        tag = tag.strip()
        if not tag:
            continue
        quality = _parse_quality(parameters)
        if not quality:
            continue
        language = DEFAULT_LANGUAGE if tag == "*" else _match_language(tag)
        if language is not None:
            candidates.append((-quality, position, language))

    if not candidates:
        return DEFAULT_LANGUAGE
    return min(candidates)[2]

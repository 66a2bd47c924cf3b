"""Invented names, addresses and appeal texts for the demo history (scripts/demo.py).

Every person, street and house number here is made up. The Uzbek texts use
the Latin alphabet with ʻ (U+02BB) and ʼ (U+02BC), as the 1995 alphabet does.
"""
from __future__ import annotations

import random

MALE_GIVEN_NAMES = ["Aziz", "Bahodir", "Jasur", "Sherzod", "Otabek", "Ulugʻbek", "Farrux", "Doniyor",
                    "Sardor", "Rustam", "Anvar", "Ilhom", "Murod", "Nodir", "Shavkat", "Gʻayrat"]
FEMALE_GIVEN_NAMES = ["Dilnoza", "Gulnora", "Malika", "Nilufar", "Zarina", "Feruza", "Shahnoza", "Mohira",
                      "Oʻgʻiloy", "Sevara", "Nodira", "Kamola", "Madina", "Yulduz", "Barno", "Lola"]
# Surnames in their male form; the female form adds "a" (Karimov, Karimova).
SURNAMES = ["Karimov", "Rahimov", "Tursunov", "Yusupov", "Xolmatov", "Ergashev", "Nazarov", "Qodirov",
            "Sobirov", "Mirzayev", "Gʻulomov", "Abdullayev", "Toʻxtayev", "Ismoilov", "Saidov", "Haydarov"]
PATRONYMICS = ["Akmalovich", "Baxtiyorovich", "Rashidovich", "Olimovich", "Hamidovich", "Toirovich"]
FEMALE_PATRONYMICS = ["Akmalovna", "Baxtiyorovna", "Rashidovna", "Olimovna", "Hamidovna", "Toirovna"]

# Each place is (city or region, its districts). Street names are generic and invented.
PLACES = [
    ("Toshkent sh.", ["Chilonzor t.", "Yunusobod t.", "Mirzo Ulugʻbek t.", "Yakkasaroy t.", "Sergeli t.",
                      "Olmazor t.", "Yashnobod t.", "Uchtepa t."]),
    ("Namangan sh.", ["Davlatobod t.", "Yangi Namangan t."]),
    ("Samarqand sh.", ["Bogʻishamol mavzesi", "Sattepo mavzesi"]),
    ("Navoiy sh.", ["Karmana yoʻli mavzesi", "Gʻalaba mavzesi"]),
    ("Andijon v.", ["Asaka t.", "Xoʻjaobod t."]),
    ("Fargʻona v.", ["Qoʻqon sh.", "Margʻilon sh."]),
]
STREETS = ["Bunyodkor koʻchasi", "Navroʻz koʻchasi", "Mustaqillik koʻchasi", "Bogʻbon koʻchasi",
           "Yangi hayot koʻchasi", "Ipak yoʻli koʻchasi", "Guliston koʻchasi", "Tinchlik koʻchasi"]

# Short problem statements per agency, with {place} filled in by the district.
# Agencies without their own list use GENERAL_PROBLEMS.
PROBLEMS_UZ = {
    "tashkent-city-khokimiyat": [
        "{place}dagi hovlimiz oldidagi yoʻl ikki yildan beri taʼmirlanmagan, yomgʻirda koʻlmak boʻladi.",
        "{place}da bolalar maydonchasi buzilgan, oʻrnatilgan belanchaklar xavfli holatda.",
        "Mahallamizdagi koʻcha chiroqlari bir oydan beri yonmaydi, kechqurun yurish qoʻrqinchli.",
        "Uyimiz yonidagi daraxtlar ruxsatsiz kesilmoqda, buni toʻxtatishingizni soʻraymiz.",
    ],
    "mvd": [
        "Qoʻshni xonadonda har kecha shovqin boʻladi, uchastka inspektori chora koʻrmayapti.",
        "{place}da pasportimni almashtirish uchun navbat bir oydan beri surilmoqda.",
        "Avtomashinam hovlidan oʻgʻirlandi, ariza bergan boʻlsam ham natija yoʻq.",
    ],
    "minjust": [
        "Notarial idorada meros hujjatlarini rasmiylashtirish asossiz choʻzilmoqda.",
        "Tugʻilganlik haqidagi guvohnomaning nusxasini olish uchun soʻrovimga javob berilmadi.",
    ],
    "uzedu": [
        "{place}dagi maktabda darsliklar yetishmaydi, ota-onalardan pul yigʻilmoqda.",
        "Farzandimni yashash joyimizdagi maktabga qabul qilishdan bosh tortishdi.",
    ],
    "soliq": [
        "Mol-mulk soligʻi ikki marta hisoblangan, ortiqcha toʻlovni qaytarishni soʻrayman.",
        "Yakka tartibdagi tadbirkor sifatida roʻyxatdan oʻtishda elektron tizim xato bermoqda.",
    ],
    "xalqbank": [
        "Pensiyam kartaga oʻtkazilmadi, bank filialida sababini tushuntirishmadi.",
    ],
    "cbu": [
        "Tijorat banki kredit boʻyicha foizni shartnomaga zid ravishda oshirdi.",
    ],
    "edu": [
        "Oliy taʼlim muassasasiga toʻlov-kontrakt summasini boʻlib toʻlash tartibini soʻrayman.",
    ],
    "minzdrav": [
        "{place}dagi oilaviy poliklinikada shifokor qabuliga yozilib boʻlmayapti.",
    ],
    "namangan-khokimiyat": [
        "Namangan shahridagi mahallamizga ichimlik suvi haftada bir marta beriladi.",
    ],
    "uzkommunkhizmat": [
        "Uyimizning issiq suvi uch haftadan beri yoʻq, boshqaruv kompaniyasi javob bermayapti.",
    ],
}
PROBLEMS_RU = {
    "tashkent-city-khokimiyat": [
        "Во дворе нашего дома в районе {place} уже месяц не вывозят мусор.",
        "Просим отремонтировать тротуар у остановки, пожилым людям трудно пройти.",
    ],
    "mvd": [
        "Прошу ускорить рассмотрение моего заявления о краже, поданного два месяца назад.",
        "У нашего дома ночью постоянно гоняют мотоциклы, просим принять меры.",
    ],
    "minjust": ["Прошу разъяснить порядок апостилирования диплома для работы за рубежом."],
    "uzedu": ["В школе нашего района не хватает учителей английского языка."],
    "soliq": ["Налог на имущество начислен на квартиру, которую я продал в прошлом году."],
    "uzavtosanoat": ["Автомобиль, оплаченный полгода назад, до сих пор не передан, сроки не называют."],
    "uzstandard": ["Прошу проверить сертификат на бытовые обогреватели, продаваемые на рынке."],
}
GENERAL_PROBLEMS_UZ = [
    "{place}da yashovchi fuqaro sifatida murojaatim boʻyicha tushuntirish berishingizni soʻrayman.",
    "Avvalgi arizamga belgilangan muddatda javob olmadim, masalani koʻrib chiqishingizni soʻrayman.",
    "Tashkilotingiz xodimlari tomonidan qabul vaqti buzilmoqda, chora koʻrishingizni soʻrayman.",
]
GENERAL_PROBLEMS_RU = [
    "Прошу дать разъяснение по моему вопросу, я проживаю в районе {place}.",
    "На моё предыдущее обращение ответ в срок не поступил, прошу рассмотреть вопрос.",
]

ANSWERS_UZ = [
    "Murojaatingiz koʻrib chiqildi. Masala hal etildi, natijasi haqida qoʻshimcha xabar beramiz.",
    "Murojaatingiz oʻrganildi. Mutaxassis joyiga chiqdi va kamchiliklar bartaraf etildi.",
    "Murojaatingiz boʻyicha tegishli tushuntirish berildi, savollar boʻlsa ishonch telefoniga qoʻngʻiroq qiling.",
]
ANSWERS_RU = [
    "Ваше обращение рассмотрено, недостатки устранены.",
    "По вашему обращению проведена проверка, виновные привлечены к ответственности.",
]
RATING_COMMENTS = {
    5: ["Tez va aniq javob uchun rahmat.", "Спасибо, вопрос решён быстро."],
    4: ["Javob berildi, lekin biroz kechikdi."],
    3: ["Javob umumiy, aniq choralar koʻrsatilmagan."],
    2: ["Javob rasmiyatchilik uchun yozilgan."],
    1: ["Muammo hal boʻlmadi, javob mazmunsiz.", "Вопрос не решён, ответ формальный."],
}
REASONS = {
    "forward": "Masala ushbu idora vakolatiga kiradi.",
    "extend": "Qoʻshimcha oʻrganish va joyiga chiqish talab etiladi.",
    "dismiss": "Fuqaro murojaatini qaytarib olish haqida ariza berdi.",
}


def applicant(rng: random.Random, number: int) -> tuple[dict, str]:
    """Return an invented applicant and their district; `number` makes the e-mail or phone unique."""
    surname = rng.choice(SURNAMES)
    if rng.random() < 0.5:
        full_name = f"{surname} {rng.choice(MALE_GIVEN_NAMES)} {rng.choice(PATRONYMICS)}"
    else:
        full_name = f"{surname}a {rng.choice(FEMALE_GIVEN_NAMES)} {rng.choice(FEMALE_PATRONYMICS)}"
    city, districts = rng.choice(PLACES)
    address = f"{city}, {rng.choice(districts)}, {rng.choice(STREETS)}, {number % 97 + 1}-uy"
    contact = ({"email": f"fuqaro{number}@example.org"} if rng.random() < 0.6
               else {"phone": f"+99890{number % 10_000_000:07d}"})
    return {"full_name": full_name, "address": address, **contact}, rng.choice(districts)


def appeal_text(rng: random.Random, agency_id: str, language: str, place: str) -> str:
    """Return an appeal text in Uzbek (Latin) or Russian for the agency."""
    if language == "ru":
        template = rng.choice(PROBLEMS_RU.get(agency_id, GENERAL_PROBLEMS_RU))
    else:
        template = rng.choice(PROBLEMS_UZ.get(agency_id, GENERAL_PROBLEMS_UZ))
    return template.format(place=place)


def answer_text(rng: random.Random, language: str) -> str:
    return rng.choice(ANSWERS_RU if language == "ru" else ANSWERS_UZ)


def rating_comment(rng: random.Random, score: int) -> str | None:
    """Return a comment for about half of the ratings, None for the rest."""
    return rng.choice(RATING_COMMENTS[score]) if rng.random() < 0.5 else None

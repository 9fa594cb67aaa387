"""A messy multi-locale shop and CRM export, made without Faker: hand-written name, street and city lists for
en, de, fr, es, it and ja, values written the ways people and old systems write them (cases, padding,
`mailto:`/`tel:`, two values in a cell, int64 phones, masked cards, grouped and lower-case IBANs, national ids of
six countries, wallets, mixed-language notes), and non-personal codes that look like personal data (barcodes,
UUIDs, hex ids, VAT ids, tracking numbers, dates, warehouse coordinates).

`export(rows, seed)` returns the table and, per row, the original personal values a leak check looks for.
"""

from __future__ import annotations

import hashlib
import random
import uuid
from dataclasses import dataclass, field

import pyarrow as pa

PEOPLE = {
    "en": (
        ["Olivia", "Liam", "Harper", "Ethan", "Abigail", "Mason", "Chloe", "Wyatt", "Tamsin", "Rhys"],
        ["Whitfield", "Okafor", "Brennan", "Caldwell", "Ashworth", "Delacroix", "Pemberton", "Lindqvist"],
    ),
    "de": (
        ["Jürgen", "Annegret", "Lukas", "Friederike", "Matthias", "Sabine", "Jörg", "Hildegard", "Kai", "Wiebke"],
        ["Müller", "Schäfer", "Obermeier", "Krüger", "Wojciechowski", "Hoffmann", "Brandstätter", "Kühn"],
    ),
    "fr": (
        ["Amélie", "Benoît", "Clémence", "Loïc", "Maëlle", "Thibault", "Élodie", "Gaëtan", "Solène", "Yannick"],
        ["Dubois", "Lefèvre", "Moreau", "Rousseau", "Fontaine", "Chevalier", "Gauthier", "Marchand"],
    ),
    "es": (
        ["Lucía", "Álvaro", "Nerea", "Íñigo", "Ainhoa", "Sergio", "Begoña", "Joaquín", "Rocío", "Unai"],
        ["García", "Fernández", "Etxeberria", "Ibarra", "Sánchez", "Villanueva", "Goikoetxea", "Ortega"],
    ),
    "it": (
        ["Giulia", "Matteo", "Chiara", "Lorenzo", "Federica", "Gianluca", "Arianna", "Davide"],
        ["Rossi", "Esposito", "Bianchi", "Colombo", "Ferrari", "Marchetti", "Santoro", "Lombardi"],
    ),
    "ja": (["陽翔", "結衣", "蓮", "美咲", "大輝", "さくら"], ["佐藤", "鈴木", "高橋", "田中", "渡辺", "山本"]),
}
STREETS = {
    "en": ["Maple Avenue", "Kingsley Road", "Harbour Street", "Elm Drive", "Westbourne Lane", "Orchard Way"],
    "de": ["Hauptstraße", "Lindenallee", "Schillerstr.", "Am Mühlbach", "Berliner Straße", "Rosenweg"],
    "fr": ["rue de la Paix", "avenue Victor Hugo", "boulevard Voltaire", "chemin des Vignes", "rue Lepic"],
    "es": ["Calle de Alcalá", "Avenida de la Constitución", "Calle Mayor", "Paseo de Gracia", "Calle Larios"],
    "it": ["Via Roma", "Corso Vittorio Emanuele", "Via Garibaldi", "Piazza Navona", "Viale Monza"],
    "ja": ["西新宿", "中央", "本町", "栄"],
}
CITIES = {
    "en": ["Leeds", "Bristol", "Denver", "Portland"],
    "de": ["Bielefeld", "Würzburg", "Kassel", "Rostock"],
    "fr": ["Nantes", "Grenoble", "Rennes", "Dijon"],
    "es": ["Zaragoza", "Valladolid", "Bilbao", "Málaga"],
    "it": ["Bologna", "Verona", "Bari", "Torino"],
    "ja": ["新宿区", "名古屋市", "札幌市", "福岡市"],
}
PREFECTURES = ["東京都", "愛知県", "北海道", "福岡県"]
#: Personal columns and the class a draft must give them; every other column holds no personal data.
PERSONAL = {
    "customer_name": "person_name",
    "contact_email": "email",
    "phone": "phone",
    "ref": "phone",
    "card_number": "credit_card",
    "billing_ref": "credit_card",
    "iban": "iban",
    "tax_id": "national_id",
    "payment_reference": "online_identifier",
    "last_ip": "ip_address",
    "device_mac": "online_identifier",
    "street": "street_address",
    "postcode": "postcode",
    "city": "location",
    "birth_date": "birth_date",
    "notes": "free_text",
    "gift_message": "free_text",
}


@dataclass
class Row:
    """The personal values planted in one row: whole values, and the people and streets behind them."""

    values: list[str] = field(default_factory=list)
    people: list[tuple[str, str]] = field(default_factory=list)
    streets: list[str] = field(default_factory=list)


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def _luhn_complete(body: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return body + str((10 - total % 10) % 10)


def card(rng: random.Random) -> str:
    prefix, length = rng.choice([("4", 16), ("51", 16), ("55", 16), ("2221", 16), ("37", 15), ("6011", 16)])
    return _luhn_complete(prefix + _digits(rng, length - len(prefix) - 1))


def _mod97(country: str, bban: str) -> str:
    digits = "".join(str(int(ch, 36)) for ch in bban + country + "00")
    return f"{country}{98 - int(digits) % 97:02d}{bban}"


def iban(rng: random.Random) -> str:
    country, bban = rng.choice(
        [
            ("DE", _digits(rng, 18)),
            ("FR", _digits(rng, 23)),
            ("ES", _digits(rng, 20)),
            ("NL", "ABNA" + _digits(rng, 10)),
            ("IT", "X" + _digits(rng, 22)),
            ("GB", "NWBK" + _digits(rng, 14)),
        ]
    )
    return _mod97(country, bban)


def _write_iban(rng: random.Random, value: str) -> str:
    grouped = " ".join(value[i : i + 4] for i in range(0, len(value), 4))
    return rng.choice([value, grouped, grouped.lower(), grouped.replace(" ", "-"), value.lower()])


def national_id(rng: random.Random) -> str:
    """US SSN, UK NINO, French NIR, German IdNr, Spanish DNI or NIE, Italian codice fiscale (check digits hold)."""
    kind = rng.choice(["ssn", "nino", "nir", "idnr", "dni", "nie", "cf"])
    if kind == "ssn":
        return f"{rng.randint(100, 665)}-{rng.randint(10, 99)}-{rng.randint(1000, 9999)}"
    if kind == "nino":
        return rng.choice(["AB", "CE", "JG", "PR", "WX"]) + _digits(rng, 6) + rng.choice("ABCD")
    if kind == "nir":
        body = f"{rng.choice('12')}{rng.randint(50, 99)}{rng.randint(1, 12):02d}{rng.randint(1, 95):02d}" + _digits(
            rng, 6
        )
        return f"{body}{97 - int(body) % 97:02d}"
    if kind == "idnr":
        from stdnum.iso7064 import mod_11_10

        while True:
            head = str(rng.randint(1, 9)) + "".join(rng.sample("0123456789", 9))
            head = head[:9] + head[8]  # one digit twice, as the BZSt requires
            if max(head.count(d) for d in head) <= 3:
                return head + mod_11_10.calc_check_digit(head)
    letters = "TRWAGMYFPDXBNJZSQVHLCKE"
    if kind == "dni":
        number = rng.randint(10**7, 10**8 - 1)
        return f"{number}{letters[number % 23]}"
    if kind == "nie":
        lead, number = rng.randint(0, 2), rng.randint(10**6, 10**7 - 1)
        return f"{'XYZ'[lead]}{number}{letters[int(f'{lead}{number}') % 23]}"
    from stdnum.it import codicefiscale

    body = "".join(rng.choice("BCDFGLMNPRST") for _ in range(6)) + f"{rng.randint(40, 99)}"
    body += rng.choice("ABCDEHLMPRST") + f"{rng.randint(1, 28):02d}" + rng.choice("ADFHLMZ") + _digits(rng, 3)
    return body + codicefiscale.calc_check_digit(body)


_BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def bitcoin(rng: random.Random) -> str:
    payload = bytes([rng.choice([0, 5])]) + bytes(rng.randrange(256) for _ in range(20))
    raw = payload + hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]
    number, out = int.from_bytes(raw, "big"), ""
    while number:
        number, digit = divmod(number, 58)
        out = _BASE58[digit] + out
    return "1" * (len(raw) - len(raw.lstrip(b"\0"))) + out


def phone(rng: random.Random, locale: str) -> tuple[str, str]:
    """(as written, its digits with the country code)."""
    if locale == "de":
        area, sub = rng.choice(["30", "89", "40", "221"]), str(rng.randint(2, 9)) + _digits(rng, 6)
        return rng.choice(
            [f"+49 {area} {sub}", f"0{area} {sub}", f"0049 {area} {sub}", f"tel:+49{area}{sub}"]
        ), f"49{area}{sub}"
    if locale == "fr":
        d = str(rng.randint(1, 5)) + _digits(rng, 8)
        return rng.choice(
            [f"+33 {d[0]} {d[1:3]} {d[3:5]} {d[5:7]} {d[7:]}", f"0{d[0]} {d[1:3]} {d[3:5]} {d[5:7]} {d[7:]}"]
        ), f"33{d}"
    if locale == "es":
        d = "91" + str(rng.randint(2, 7)) + _digits(rng, 6)
        return rng.choice([f"{d[:3]} {d[3:5]} {d[5:7]} {d[7:]}", f"+34 {d[:3]} {d[3:6]} {d[6:]}"]), f"34{d}"
    if locale == "ja":
        d = "90" + str(rng.randint(1, 9)) + _digits(rng, 7)
        return rng.choice([f"0{d[:2]}-{d[2:6]}-{d[6:]}", f"+81 {d[:2]} {d[2:6]} {d[6:]}"]), f"81{d}"
    area = rng.choice(["413", "617", "303", "503", "206"])
    line = str(rng.randint(2, 9)) + _digits(rng, 2) + _digits(rng, 4)
    d = area + line
    return rng.choice(
        [
            f"({area}) {line[:3]}-{line[3:]}",
            f"({area}){line[:3]}-{line[3:]}",
            f"{area}.{line[:3]}.{line[3:]}",
            f"+1 {area}-{line[:3]}-{line[3:]}",
            f"  {area}-{line[:3]}-{line[3:]} ",
        ]
    ), f"1{d}"


def _address(rng: random.Random, locale: str) -> tuple[str, str, str, str]:
    """(street address as written, street name, postcode, city)."""
    street, city, n = rng.choice(STREETS[locale]), rng.choice(CITIES[locale]), rng.randint(1, 240)
    if locale == "en":
        postcode = rng.choice([f"{rng.randint(10000, 99999)}", f"LS{rng.randint(1, 9)} {rng.randint(1, 9)}AB"])
        return f"{n} {street}", street, postcode, city
    if locale == "de":
        return f"{street} {n}{rng.choice(['', 'a', 'b'])}", street, f"{rng.randint(10000, 99999)}", city
    if locale == "fr":
        return f"{n}{rng.choice(['', ' bis'])} {street}", street, f"{rng.randint(10000, 95999)}", city
    if locale in ("es", "it"):
        return f"{street}, {n}", street, f"{rng.randint(10000, 52999):05d}", city
    pref = rng.choice(PREFECTURES)
    return (
        f"{pref}{city}{street}{rng.randint(1, 9)}-{rng.randint(1, 30)}-{rng.randint(1, 20)}",
        street,
        f"{rng.randint(100, 999)}-{rng.randint(1000, 9999)}",
        city,
    )


def _name(rng: random.Random, locale: str) -> tuple[str, str, str]:
    first, last = rng.choice(PEOPLE[locale][0]), rng.choice(PEOPLE[locale][1])
    if locale == "ja":
        return f"{last}{first}", first, last
    written = rng.choice(
        [
            f"{first} {last}",
            f"{last}, {first}",
            f"{first.upper()} {last.upper()}",
            f" {first} {last} ",
            f"{first.lower()} {last.lower()}",
        ]
    )
    return written, first, last


_NOTES = {
    "en": [
        "Customer {name} called from {phone}, asked to ship to {street}.",
        "Refund to {iban} please - {name}",
        "Email {email_spelt} if the parcel is late. Card ending {masked}.",
        "{name} wants invoices at {email}.",
    ],
    "de": [
        "Kunde {name} bittet um Rückruf unter {phone}. Lieferung an {street}.",
        "Frau {last} zahlt per {iban}.",
        "Bitte an {street} liefern, Tel. {phone_bare}",
        "Rechnung an {email}; Ansprechpartner {last}, {first}.",
    ],
    "fr": [
        "Mme {last} souhaite être rappelée au {phone}.",
        "Livrer au {street}, {name} sera absent.",
        "Remboursement sur {iban}, merci. Contact: {email}",
    ],
    "es": [
        "Llamar a {name} al {phone} antes de entregar en {street}.",
        "Sr. {last} paga con la tarjeta {card}.",
        "Su NIE es {id}; contactar en {email_spelt}",
    ],
    "it": ["Consegnare in {street}, citofono {last}. Cell {phone}", "Il codice fiscale del cliente è {id}."],
    "ja": ["{street}の{last}様へ配送。電話 {phone}", "{name}様より問い合わせ。メール {email}"],
}
_GIFTS = {
    "en": ["Happy birthday {first}! Love, {name2}", "For {name} - call me at {phone_bare}", "Send ETH to wallet {eth}"],
    "de": ["Alles Gute, {first}! Dein {first2}", "Für {name}, {street}"],
    "fr": ["Joyeux anniversaire {first} ! Bises, {first2}", "Pour {name}"],
    "es": ["¡Feliz cumpleaños, {first}! Un abrazo, {name2}", "Para {name}, {street}"],
    "it": ["Tanti auguri {first}! {name2}", "Per {name}"],
    "ja": ["{last}さん、お誕生日おめでとう！", "{name}様へ"],
}


def _code_row(rng: random.Random, i: int) -> dict[str, object]:
    """Columns that hold no personal data but look like it."""
    from stdnum import ean

    ean_body = rng.choice(["400", "300", "500", "800"]) + _digits(rng, 9)
    upc_body = rng.choice("0123456789") + _digits(rng, 10)
    isbn_body = "978" + _digits(rng, 9)
    tracking = rng.choice(
        [
            "1Z" + "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(16)),
            _digits(rng, 12),
            "9400" + _digits(rng, 18),
            "JJD" + _digits(rng, 18),
        ]
    )
    vat = rng.choice(
        [
            f"DE{_digits(rng, 9)}",
            f"FR{_digits(rng, 11)}",
            f"ESB{_digits(rng, 8)}",
            f"IT{_digits(rng, 11)}",
            f"GB{_digits(rng, 9)}",
            f"{rng.randint(10, 99)}-{_digits(rng, 7)}",
            f"US-EIN {rng.randint(10, 99)}-{_digits(rng, 7)}",
        ]
    )
    return {
        "order_no": f"ORD-{1_000_000 + i:08d}",
        "ean13": ean_body + ean.calc_check_digit(ean_body),
        "upc": upc_body + ean.calc_check_digit(upc_body),
        "isbn": isbn_body + ean.calc_check_digit(isbn_body),
        "crm_uuid": str(uuid.UUID(int=rng.getrandbits(128))),
        "session_hex": f"{rng.getrandbits(128):032x}",
        "vat_id": vat,
        "tracking_number": tracking,
        "last_contact_date": f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        "created_at": f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d} "
        f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00",
        "warehouse_lat": round(rng.uniform(35, 60), 5),
        "warehouse_lon": round(rng.uniform(-10, 30), 5),
        "legacy_id": rng.randint(10**9, 10**10 - 1),
        "amount": round(rng.lognormvariate(3.5, 0.7), 2),
        "currency": rng.choice(["EUR", "USD", "GBP", "JPY"]),
        "quantity": rng.randint(1, 6),
        "status": rng.choice(["paid", "shipped", "returned", "cancelled"]),
        "product_name": rng.choice(["Kaffeemühle Classic", "Linen shirt", "Sac à dos 20L", "Taza de cerámica", "急須"]),
        "discount_code": rng.choice(["", "BF2025", "WELCOME10", "SPRING-15"]),
        "sku": f"SKU-{rng.randint(10000, 99999)}",
        "channel": rng.choice(["web", "app", "store", "phone"]),
        "rating": rng.randint(1, 5),
    }


def export(rows: int = 20_000, seed: int = 1) -> tuple[pa.Table, list[Row]]:
    """The export table and, row by row, the personal values planted in it."""
    rng = random.Random(seed)
    records, planted = [], []
    for i in range(rows):
        locale = rng.choice(["en", "de", "fr", "es", "it", "ja"])
        row = Row()
        name, first, last = _name(rng, locale)
        _, first2, last2 = _name(rng, locale)
        written_phone, phone_digits = phone(rng, locale)
        other_phone, other_digits = phone(rng, locale)
        address, street, postcode, city = _address(rng, locale)
        user = (
            f"{first.lower()}.{last.lower()}{rng.randint(1, 99)}"
            if first.isascii() and last.isascii()
            else f"kunde{rng.randint(1000, 99999)}"
        )
        domain = rng.choice(["gmail.com", "web.de", "orange.fr", "yahoo.es", "libero.it", "docomo.ne.jp"])
        email = f"{user}@{domain}"
        account, number, wallet = iban(rng), card(rng), bitcoin(rng)
        ident = national_id(rng)
        eth = "0x" + f"{rng.getrandbits(160):040x}"
        fill = {
            "name": name.strip(),
            "first": first,
            "last": last,
            "first2": first2,
            "name2": f"{first2} {last2}",
            "phone": written_phone.strip(),
            "phone_bare": phone_digits[-10:],
            "street": address,
            "email": email,
            "email_spelt": email.replace("@", " at ").replace(".", " dot "),
            "iban": _write_iban(rng, account),
            "masked": f"**** **** **** {number[-4:]}",
            "card": " ".join(number[i : i + 4] for i in range(0, len(number), 4)),
            "id": ident,
            "eth": eth,
        }
        record = {
            "customer_name": name,
            "contact_email": rng.choice(
                [email, email.upper(), f" {email}", f"mailto:{email}", f"{email}; {user}.alt@{domain}"]
            ),
            "phone": rng.choice([written_phone, f"{written_phone} / {other_phone}"]),
            "ref": int(phone_digits),
            "card_number": rng.choice([number, fill["card"], fill["masked"]]),
            "billing_ref": int(number),
            "iban": _write_iban(rng, account),
            "tax_id": ident,
            "payment_reference": wallet,
            "last_ip": rng.choice(
                [
                    f"{rng.randint(11, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
                    f"2a02:{rng.getrandbits(16):x}:{rng.getrandbits(16):x}::{rng.getrandbits(16):x}",
                ]
            ),
            "device_mac": rng.choice(["{}:{}:{}:{}:{}:{}", "{}-{}-{}-{}-{}-{}"]).format(
                *(f"{rng.randrange(1, 255):02x}" for _ in range(6))
            ),
            "street": address,
            "postcode": postcode,
            "city": city,
            "birth_date": f"{rng.randint(1940, 2005)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            "notes": " ".join(rng.choice(_NOTES[loc]).format(**fill) for loc in (locale, rng.choice(["en", locale]))),
            "gift_message": rng.choice(_GIFTS[locale]).format(**fill),
            **_code_row(rng, i),
        }
        records.append(record)
        row.values += [email, account, number, wallet, ident, eth, record["last_ip"], record["device_mac"], address]
        row.values += [phone_digits, other_digits, record["birth_date"]]
        row.people += [(first, last), (first2, last2)]
        row.streets.append(street)
        planted.append(row)
    columns = list(records[0])
    return pa.table({c: [r[c] for r in records] for c in columns}), planted

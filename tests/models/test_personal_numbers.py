"""The personal-number test: on the digits, whatever separates them; rarely on ordinary numbers and dates."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from models import looks_like_personal_number

# Each written as the security review found it accepted by the service (and stored in person_ref).
WALKED_AROUND = ["811218.9876", "811218_9876", "811218/9876", "811218:9876", "1981-12-18-9876", "811218-98 76",
                 "8 1 1 2 1 8 9 8 7 6", "81.12.18-9876", "811218%2D9876", "19811218.9876",
                 "… har diagnos F32 (depression), pnr 811218.9876"]
INVISIBLE = ["811218\u00a09876", "811218\u200b9876", "811218\t9876", "811218\n9876", "８１１２１８－９８７６",
             "811218\u00ad9876", "811218\u22129876"]
# Found by a second reading: a decimal comma, a semicolon, long gaps, a URL encoded twice.
SECOND_READING = ["811218,9876", "811218;9876", "811218    9876", "811218 -- 9876", "811218%252D9876",
                  "['811218', '9876']"]
PLAIN = ["811218-9876", "19500101-1187", "850101+1234", "198501011234", "case 850101-1234", "x811278-9876"]
NOT_NUMBERS = ["case-4711", "2026-01-12", "cw-1042", "2026-01-12 - 2026-06-01", "from 2026-01-12 till 2026-06-01",
               "registered 2025-03-04, assessed 2026-01-12", "12345-67890-1", "occupation 5, county 01",
               "ref 123456789"]


@pytest.mark.parametrize("text", WALKED_AROUND + INVISIBLE + PLAIN + SECOND_READING)
def test_a_personal_number_is_found_in_any_writing(text):
    assert looks_like_personal_number(text)


@pytest.mark.parametrize("text", NOT_NUMBERS)
def test_references_and_dates_are_not_taken_for_one(text):
    assert not looks_like_personal_number(text)


def test_two_dates_side_by_side_are_not_taken_for_a_number():
    # Free text often holds a period; whatever joins its two dates, it must be accepted.
    rng = random.Random(5)
    days = [dt.date(1990, 1, 1) + dt.timedelta(rng.randrange(15_000)) for _ in range(4000)]
    for joiner in (" - ", " ", "/", "–", " till "):
        found = sum(looks_like_personal_number(f"{a}{joiner}{b}") for a, b in zip(days[::2], days[1::2], strict=True))
        assert found == 0, joiner


def test_a_number_whose_date_is_impossible_is_still_found_by_its_check_digit():
    assert looks_like_personal_number("811399-9877")  # month 13, but the check digit is right
    assert not looks_like_personal_number("811399-9876")  # neither

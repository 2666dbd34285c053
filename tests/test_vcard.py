"""vCard 3.0 text, read back by vobject (which shares no code with the writer)."""

from __future__ import annotations

import pytest
import vobject

from matchmaker.vcard import LINE_OCTETS, build_vcard


@pytest.mark.parametrize(
    ("name", "family", "given"),
    [
        ("Ana Silva", "Silva", "Ana"),
        ("Anna-Liisa van der Berg", "Berg", "Anna-Liisa van der"),
        ("Prince", "Prince", ""),
        ("  Olli \n Mäki ", "Mäki", "Olli"),
    ],
)
def test_the_name_is_split_as_address_books_do(name, family, given):
    card = vobject.readOne(build_vcard(name))
    assert card.fn.value == " ".join(name.split())
    assert (card.n.value.family, card.n.value.given) == (family, given)


def test_details_survive_escaping_and_folding():
    note = "Met at Nordic; Founders, Day\nTalked about: seed rounds, hiring \\ pricing. " * 3
    note += "Käyttäjäkokemus ja €-hinnoittelu. " * 5
    text = build_vcard(
        "Ana Silva",
        organization="Acme; Oy, Ltd",
        title="CEO, founder",
        emails=["ana@example.com"],
        urls=["https://example.com/a,b;c", ""],
        note=note,
    )
    assert text.endswith("END:VCARD\r\n")
    for line in text.split("\r\n"):
        assert len(line.encode()) <= LINE_OCTETS, line
    card = vobject.readOne(text)
    assert card.org.value == ["Acme; Oy, Ltd"]
    assert card.title.value == "CEO, founder"
    assert card.email.value == "ana@example.com"
    assert [u.value for u in card.contents["url"]] == ["https://example.com/a,b;c"]
    assert card.note.value == note.strip()


def test_nothing_is_written_that_was_not_given():
    text = build_vcard("Ana Silva")
    card = vobject.readOne(text)
    assert set(card.contents) == {"version", "n", "fn"}


def test_a_card_needs_a_name():
    with pytest.raises(ValueError, match="needs a name"):
        build_vcard(" \n ")

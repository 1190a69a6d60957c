"""PII encryption at rest: AES-256-GCM with key ids, row binding, blind index, rotation."""

from __future__ import annotations

import base64
import json
import os

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection, transaction

from chassis.crypto.aead import DecryptionError, key_id_of
from chassis.crypto.fields import Sealed
from chassis.crypto.keys import parse_keyring
from chassis_tests_app.models import Contact

pytestmark = pytest.mark.django_db

PHONE = "+14155550123"


def new_key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def stored(contact: Contact, column: str = "phone") -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {column} FROM chassis_tests_app_contact WHERE id = %s", [contact.pk]
        )
        return cursor.fetchone()[0]


def test_plaintext_never_reaches_the_database():
    contact = Contact.objects.create(name="Ada", phone=PHONE)
    raw = stored(contact)
    assert PHONE not in raw
    assert raw.startswith("v1:dev:")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM chassis_tests_app_contact WHERE phone LIKE %s", [f"%{PHONE[2:]}%"]
        )
        assert cursor.fetchone()[0] == 0


def test_value_reads_back_after_a_fresh_load():
    contact = Contact.objects.create(name="Ada", phone=PHONE)
    assert Contact.objects.get(pk=contact.pk).phone == PHONE


def test_each_save_uses_a_fresh_nonce():
    contact = Contact.objects.create(name="Ada", phone=PHONE)
    first = stored(contact)
    contact.save()
    assert stored(contact) != first
    assert Contact.objects.get(pk=contact.pk).phone == PHONE


def test_null_stays_null():
    contact = Contact.objects.create(name="Ada")
    assert stored(contact) is None
    assert Contact.objects.get(pk=contact.pk).phone is None


def test_ciphertext_copied_to_another_row_does_not_decrypt():
    alice = Contact.objects.create(name="Alice", phone=PHONE)
    mallory = Contact.objects.create(name="Mallory", phone="+10000000000")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE chassis_tests_app_contact SET phone = %s WHERE id = %s",
            [stored(alice), mallory.pk],
        )
    with pytest.raises(DecryptionError):
        _ = Contact.objects.get(pk=mallory.pk).phone


def test_ciphertext_copied_to_another_column_does_not_decrypt():
    contact = Contact.objects.create(name="Ada", phone=PHONE)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE chassis_tests_app_contact SET note = phone WHERE id = %s", [contact.pk]
        )
    with pytest.raises(DecryptionError):
        _ = Contact.objects.get(pk=contact.pk).note


def test_tampered_ciphertext_is_an_error_not_plaintext():
    contact = Contact.objects.create(name="Ada", phone=PHONE)
    raw = stored(contact)
    flipped = raw[:-2] + ("A" if raw[-2] != "A" else "B") + raw[-1]
    Contact.objects.filter(pk=contact.pk).update(phone=Sealed(flipped))
    with pytest.raises(DecryptionError):
        _ = Contact.objects.get(pk=contact.pk).phone


def test_unknown_key_id_is_a_clear_error(settings):
    contact = Contact.objects.create(name="Ada", phone=PHONE)
    settings.FIELD_ENCRYPTION_KEYS = json.dumps({"other": new_key()})
    settings.FIELD_ENCRYPTION_ACTIVE_KEY = "other"
    with pytest.raises(DecryptionError, match="'dev'"):
        _ = Contact.objects.get(pk=contact.pk).phone


def test_queryset_update_with_plaintext_is_refused():
    contact = Contact.objects.create(name="Ada", phone=PHONE)
    with pytest.raises(TypeError, match="encrypted"), transaction.atomic():
        Contact.objects.filter(pk=contact.pk).update(phone="+19999999999")
    assert stored(contact).startswith("v1:")


def test_filtering_on_the_encrypted_column_is_refused():
    with pytest.raises(TypeError, match="blind index"):
        list(Contact.objects.filter(phone=PHONE))


def test_blind_index_finds_exact_matches_only():
    ada = Contact.objects.create(name="Ada", phone=PHONE)
    Contact.objects.create(name="Bob", phone="+14155550124")
    index = Contact._meta.get_field("phone_index").index_of(PHONE)
    assert list(Contact.objects.filter(phone_index=index)) == [ada]
    assert PHONE not in index
    assert len(index) == 64


def test_blind_index_follows_changes():
    contact = Contact.objects.create(name="Ada", phone=PHONE)
    contact.phone = "+14155550999"
    contact.save()
    field = Contact._meta.get_field("phone_index")
    assert not Contact.objects.filter(phone_index=field.index_of(PHONE)).exists()
    assert Contact.objects.filter(phone_index=field.index_of("+14155550999")).exists()


def test_blind_index_depends_on_its_key(settings):
    field = Contact._meta.get_field("phone_index")
    before = field.index_of(PHONE)
    settings.BLIND_INDEX_KEY = new_key()
    assert field.index_of(PHONE) != before


def test_rotation_reseals_under_the_new_key_in_batches(settings):
    contacts = [
        Contact.objects.create(name=f"c{i}", phone=f"+1415555{i:04d}", note="n") for i in range(7)
    ]
    untouched = Contact.objects.create(name="empty")
    old_key = json.loads(settings.FIELD_ENCRYPTION_KEYS)["dev"]
    settings.FIELD_ENCRYPTION_KEYS = json.dumps({"dev": old_key, "k2": new_key()})
    settings.FIELD_ENCRYPTION_ACTIVE_KEY = "k2"
    updated_before = {c.pk: Contact.objects.get(pk=c.pk).updated_at for c in contacts}

    call_command("rotate_encryption_key", batch_size=3)

    for contact in contacts:
        assert key_id_of(stored(contact)) == "k2"
        assert key_id_of(stored(contact, "note")) == "k2"
        fresh = Contact.objects.get(pk=contact.pk)
        assert fresh.phone == contact.phone
        assert fresh.updated_at == updated_before[contact.pk]
    assert stored(untouched) is None
    # The old key can now leave the ring.
    settings.FIELD_ENCRYPTION_KEYS = json.dumps(
        {"k2": json.loads(settings.FIELD_ENCRYPTION_KEYS)["k2"]}
    )
    assert Contact.objects.get(pk=contacts[0].pk).phone == contacts[0].phone


@pytest.mark.parametrize(
    ("keys", "active", "message"),
    [
        ("not json", "a", "JSON"),
        ("{}", "a", "map key ids"),
        (json.dumps({"a": "short"}), "a", "base64|32 bytes"),
        (json.dumps({"a": base64.b64encode(b"x" * 16).decode()}), "a", "32 bytes"),
        (json.dumps({"a:b": base64.b64encode(b"x" * 32).decode()}), "a:b", "':'"),
        (json.dumps({"a": base64.b64encode(b"x" * 32).decode()}), "b", "not in"),
    ],
)
def test_bad_keyrings_are_refused_clearly(keys, active, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        parse_keyring(keys, active)

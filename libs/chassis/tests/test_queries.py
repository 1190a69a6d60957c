"""PrimaryKeyGet: the ORM's rows, conversions and errors, with the SQL compiled once."""

from __future__ import annotations

import uuid

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chassis.queries import PrimaryKeyGet
from chassis_tests_app.models import Contact

pytestmark = pytest.mark.django_db


def field_values(contact: Contact) -> dict[str, object]:
    return {field.attname: getattr(contact, field.attname) for field in Contact._meta.fields}


def test_returns_what_the_orm_returns_decrypted_fields_included():
    get = PrimaryKeyGet(Contact)
    first = Contact.objects.create(name="Ada", phone="+14155550123", note="likes tea")
    second = Contact.objects.create(name="Grace", phone=None)

    for contact in (first, second, first):  # the second call on reuses the compiled plan
        loaded = get(contact.pk)
        assert field_values(loaded) == field_values(Contact.objects.get(pk=contact.pk))
        assert loaded._state.adding is False
        assert loaded._state.db == "default"

    assert get(str(first.pk)).phone == "+14155550123"  # a string key, as URLs give it


def test_a_loaded_row_saves_and_reencrypts_like_an_orm_one():
    contact = Contact.objects.create(name="Ada", phone="+14155550123")
    loaded = PrimaryKeyGet(Contact)(contact.pk)
    loaded.phone = "+442071838750"
    loaded.save()
    assert Contact.objects.get(pk=contact.pk).phone == "+442071838750"


def test_one_select_by_key_compiled_once(monkeypatch):
    get = PrimaryKeyGet(Contact)
    compiled = []
    compile_plan = get._compile

    def counting(pk):
        compiled.append(pk)
        return compile_plan(pk)

    monkeypatch.setattr(get, "_compile", counting)
    contacts = [Contact.objects.create(name=name) for name in ("Ada", "Grace", "Edsger")]
    with CaptureQueriesContext(connection) as queries:
        for contact in contacts:
            assert get(contact.pk).name == contact.name
    assert compiled == [contacts[0].pk]
    assert len(queries) == 3
    sent = zip(queries, contacts, strict=True)
    [statement] = {query["sql"].replace(contact.pk.hex, "?") for query, contact in sent}
    assert statement.startswith("SELECT ")
    assert statement.endswith("\"id\" = '?'::uuid")


def test_missing_and_malformed_keys_fail_as_get_does():
    get = PrimaryKeyGet(Contact)
    Contact.objects.create(name="Ada")  # compiled on a key that exists
    get(Contact.objects.get().pk)
    with pytest.raises(Contact.DoesNotExist):
        get(uuid.uuid4())
    with pytest.raises(ValidationError):
        get("not-a-uuid")

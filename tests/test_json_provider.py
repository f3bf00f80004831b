"""Every JSON answer is compact JSON in the contract's key order, with text as
UTF-8, whatever writes it."""

import json

from reports import json_provider

from conftest import CONTRACT_REPORT


def test_a_json_answer_is_compact_utf8_in_the_contracts_order(client, make_report):
    report = make_report(fields={"mentor_notes": "Møte om helse 住房 🎉"})

    answer = client.get(f"/api/v1/reports/{report['report_id']}")

    body = answer.get_data()
    assert answer.mimetype == "application/json"
    assert body.endswith(b"}\n") and b": " not in body and b", " not in body
    assert "Møte om helse 住房 🎉".encode() in body
    assert list(json.loads(body)) == [
        "report_id", "activity_id", "peer_mentor_id", "org_id", "status", "fields",
        "submitted_at", "created_at", "updated_at",
    ]  # fmt: skip
    assert json.loads(body)["fields"]["mentor_notes"] == "Møte om helse 住房 🎉"


def test_a_problem_is_written_the_same_way(client):
    answer = client.post("/api/v1/reports", json={**CONTRACT_REPORT, "status": "sent"})

    assert answer.status_code == 422
    assert answer.get_data().endswith(b"}\n") and b'": ' not in answer.get_data()
    assert answer.json["errors"]["status"]


def test_what_orjson_cannot_write_goes_through_flasks_default(app):
    from decimal import Decimal

    with app.app_context():
        assert app.json.dumps({"n": Decimal("1.50")}) == '{"n":"1.50"}'
        assert app.json.response({"n": Decimal("2")}).get_data() == b'{"n":"2"}\n'


def test_an_ndjson_line_is_one_compact_object_and_a_line_break():
    line = json_provider.ndjson_line({"b": 1, "a": "é", 3: None})

    assert line == '{"b":1,"a":"é","3":null}\n'.encode()


def test_text_that_is_no_utf8_is_written_escaped_as_the_standard_library_does(app):
    with app.app_context():
        assert app.json.dumps({"\ud800": ["Unknown field."]}) == '{"\\ud800": ["Unknown field."]}'
        answer = app.json.response({"\ud800": 1})
    assert json.loads(answer.get_data()) == {"\ud800": 1}

"""Workflow step details on the console read as words, not JSON keys and codes."""

from onboarding.selectors.workflow import detail_rows


def test_step_details_read_as_words():
    rows = detail_rows(
        {
            "emails": [
                {"email": "ana@northwind.test", "link": "login"},
                {"email": "bo@northwind.test", "link": "invitation"},
            ],
            "from": "approved",
            "to": "contracted",
            "invited": [
                {
                    "email": "bo@northwind.test",
                    "role": "partner_admin",
                    "source": "signer",
                    "invitation": "3f1c…",
                    "reused": False,
                }
            ],
            "enrolled": ["ana@northwind.test", "bo@northwind.test"],
        }
    )
    assert rows == [
        (
            "Emails",
            [
                "Email: ana@northwind.test, Sign-in link: Portal login",
                "Email: bo@northwind.test, Sign-in link: Invitation to set a password",
            ],
        ),
        ("From", ["Approved"]),
        ("To", ["Contracted"]),
        (
            "Invited",
            [
                "Email: bo@northwind.test, Role: Partner admin, Found as: Agreement signer, "
                "Existing invitation reused: No"
            ],
        ),
        ("Enrolled", ["ana@northwind.test", "bo@northwind.test"]),
    ]


def test_cadence_subjects_show_placeholders_by_name_and_escape_the_rest():
    from onboarding.services.cadence import merge_fields_html

    html = str(merge_fields_html("<b>Hi</b> {{ first_name }}, the {{ program_name }} & {{ x }}"))
    assert "&lt;b&gt;Hi&lt;/b&gt;" in html
    assert ">First name</span>" in html and ">Program name</span>" in html
    assert 'title="{{ first_name }}"' in html
    assert "{{ x }}" in html  # unknown: as typed (saving refuses it anyway)
    assert "<b>" not in html

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

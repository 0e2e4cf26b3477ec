"""FreshBooks webhook signatures: the documented algorithm and its test vector."""

from ledgerlink.connectors.freshbooks.webhooks import form_fields, sign_webhook, verify_webhook

VERIFIER = "YLN6RcfR3Q99Xxmfzz8WdJChgVjb4uZ42"
BODY = (
    b"name=invoice.create&object_id=1234567&account_id=6BApk"
    b"&business_id=6543&identity_id=1234&user_id=1"
)


def test_signature_matches_the_reference_vector():
    assert (
        sign_webhook(VERIFIER, form_fields(BODY)) == "RNA0rC4YrtpUkR4fHpIyfyh3mgdfGNEcwFeYxoJMcBQ="
    )


def test_verify_accepts_the_real_signature_only():
    good = "RNA0rC4YrtpUkR4fHpIyfyh3mgdfGNEcwFeYxoJMcBQ="
    assert verify_webhook(VERIFIER, BODY, good)
    assert not verify_webhook(
        VERIFIER, BODY, "6G6SnPwTJR8DJMReBp0JfJc5MQaNMMRrcfmNAjLXGj4="
    )  # compact JSON
    assert not verify_webhook(VERIFIER, BODY.replace(b"1234567", b"1234568"), good)  # tampered
    assert not verify_webhook("another-verifier", BODY, good)
    assert not verify_webhook(VERIFIER, BODY, None)

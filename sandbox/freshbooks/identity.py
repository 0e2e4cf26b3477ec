"""The sandbox's FreshBooks account: app registration, owner and business, from the seed."""

from __future__ import annotations

import hashlib
import random
import string
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

OWNER_FIRST_NAMES = ("Jordan", "Morgan", "Riley", "Casey", "Alex", "Taylor", "Jamie", "Robin")
OWNER_LAST_NAMES = ("Rivera", "Chen", "Okafor", "Lindqvist", "Moreau", "Haddad", "Sato", "Kowal")
BUSINESS_NAMES = ("Northwind Supply", "Bluebird Trading", "Keystone Wholesale", "Atlas Components")
DEFAULT_SCOPES = (
    "user:profile:read user:clients:read user:clients:write user:invoices:read "
    "user:invoices:write user:payments:read user:payments:write user:expenses:read "
    "user:expenses:write user:taxes:read user:credit_notes:read user:billable_items:read "
    "user:billable_items:write"
)


def _digest(seed: int, purpose: str) -> str:
    return hashlib.sha256(f"ledgerlink-sandbox:{seed}:freshbooks:{purpose}".encode()).hexdigest()


@dataclass(frozen=True)
class Account:
    """Everything about "who we are" that the identity endpoint and the webhooks report."""

    seed: int
    client_id: str
    client_secret: str
    account_id: str
    business_id: int
    business_uuid: str
    business_name: str
    membership_id: int
    identity_id: int
    identity_uuid: str
    user_id: int
    first_name: str
    last_name: str
    email: str
    created_at: datetime
    base_currency: str = "USD"

    @classmethod
    def from_seed(cls, seed: int) -> Account:
        rng = random.Random(f"{seed}:freshbooks:account")
        # Real account ids are short mixed-case strings such as "6BApk".
        account_id = "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(5))
        first, last = rng.choice(OWNER_FIRST_NAMES), rng.choice(OWNER_LAST_NAMES)
        business = rng.choice(BUSINESS_NAMES)
        return cls(
            seed=seed,
            client_id=_digest(seed, "client_id"),
            client_secret=_digest(seed, "client_secret"),
            account_id=account_id,
            business_id=rng.randint(1_000_000, 9_999_999),
            business_uuid=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            business_name=f"{business} {rng.choice(('Inc.', 'LLC', 'Co.'))}",
            membership_id=rng.randint(100_000, 999_999),
            identity_id=rng.randint(1_000_000, 9_999_999),
            identity_uuid=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            user_id=1,  # the account owner is always staff user 1
            first_name=first,
            last_name=last,
            email=f"{first.lower()}.{last.lower()}@{business.lower().replace(' ', '')}.example",
            created_at=datetime(2019, 3, 4, 15, 12, 9, tzinfo=UTC),
        )


def _iso_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def me_payload(account: Account) -> dict:
    """`GET /auth/api/v1/users/me`: the `response` body (identity timestamps are ISO UTC with Z)."""
    a = account
    created, confirmed = _iso_utc(a.created_at), _iso_utc(a.created_at.replace(minute=27))
    profession = {
        "id": a.identity_id + 7,
        "business_id": None,
        "title": "Owner",
        "company": a.business_name,
        "designation": None,
    }
    return {
        "id": a.identity_id,
        "profile": {
            "setup_complete": True,
            "first_name": a.first_name,
            "last_name": a.last_name,
            "phone_number": None,
            "address": None,
            "professions": [profession],
            "has_password": True,
        },
        "identity_id": a.identity_id,
        "identity_uuid": a.identity_uuid,
        "first_name": a.first_name,
        "last_name": a.last_name,
        "email": a.email,
        "language": "en",
        "confirmed_at": confirmed,
        "created_at": created,
        "unconfirmed_email": None,
        "setup_complete": True,
        "phone_numbers": [{"title": "", "phone_number": None}],
        "addresses": [None],
        "profession": profession,
        "links": {
            "me": f"/service/auth/api/v1/users?id={a.identity_id}",
            "roles": f"/service/auth/api/v1/users/role/{a.identity_id}",
        },
        "permissions": {a.account_id: {}},
        "groups": [
            {
                "id": a.identity_id + 1,
                "group_id": a.business_id + 1,
                "role": "owner",
                "identity_id": a.identity_id,
                "identity_uuid": a.identity_uuid,
                "business_id": a.business_id,
                "active": True,
            }
        ],
        "subscription_statuses": {a.account_id: "active"},
        "integrations": {},
        "business_memberships": [
            {
                "id": a.membership_id,
                "role": "owner",
                "unacknowledged_change": False,
                "business": {
                    "id": a.business_id,
                    "business_uuid": a.business_uuid,
                    "name": a.business_name,
                    "account_id": a.account_id,
                    "date_format": "mm/dd/yyyy",
                    "address": {
                        "id": a.business_id + 3,
                        "street": "100 Commerce St",
                        "city": "Boston",
                        "province": "Massachusetts",
                        "country": "United States",
                        "postal_code": "02110",
                    },
                    "phone_number": {"id": a.business_id + 4, "phone_number": "617-555-0100"},
                    "business_clients": [],
                },
            }
        ],
        "identity_origin": None,
        "roles": [
            {
                "id": a.identity_id + 2,
                "role": "admin",
                "systemid": a.business_id + 2,
                "userid": a.user_id,
                "created_at": created,
                "links": {"destroy": f"/service/auth/api/v1/users/role/{a.identity_id + 2}"},
                "accountid": a.account_id,
            }
        ],
    }

"""Bearer tokens: HS256 JWTs signed with the gateway's secret.

Claims: `sub` (the user id), `roles` (a non-empty list of known roles) and `exp`.
`python -m gateway.auth issue --user alice --roles supervisor,finance [--hours 12]`
prints a development token signed with JWT_SECRET (or the development default).
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

from invariant_core.identity import Identity
from invariant_core.settings import Settings
from invariant_kernel import limits
from invariant_kernel.errors import DomainError, ErrorCode

# In the order of DESIGN §5, from the floor to the admin.
ROLE_ORDER = (
    "operator",
    "picker",
    "inspector",
    "sales",
    "buyer",
    "planner",
    "supervisor",
    "finance",
    "manager",
    "admin",
)
ROLES = frozenset(ROLE_ORDER)
ALGORITHM = "HS256"
# Tolerates small clock differences between the issuer and the gateway's replicas.
LEEWAY = timedelta(seconds=30)


class InvalidTokenError(ValueError):
    """The bearer token cannot be trusted; the message says why, for the client."""


@dataclass(frozen=True)
class User:
    id: str
    roles: frozenset[str]


def parse_roles(roles: Iterable[object]) -> frozenset[str]:
    found = frozenset(str(role).strip() for role in roles if str(role).strip())
    if not found:
        raise InvalidTokenError("the token carries no roles")
    unknown = sorted(found - ROLES)
    if unknown:
        raise InvalidTokenError(f"unknown roles {', '.join(unknown)}; known roles are {', '.join(sorted(ROLES))}")
    return found


def issue(user: User, secret: str, lifetime: timedelta, now: datetime | None = None) -> str:
    issued = now or datetime.now(UTC)
    claims = {"sub": user.id, "roles": sorted(user.roles), "iat": issued, "exp": issued + lifetime}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify(token: str, secret: str) -> User:
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], leeway=LEEWAY, options={"require": ["exp", "sub"]})
    except jwt.ExpiredSignatureError:
        raise InvalidTokenError("the token has expired") from None
    except jwt.InvalidTokenError as error:
        raise InvalidTokenError(f"the token is not valid: {error}") from None
    subject, roles = claims.get("sub"), claims.get("roles")
    if not isinstance(subject, str) or not subject:
        raise InvalidTokenError("the token names no user (sub)")
    if len(subject) > limits.ID:
        raise InvalidTokenError(f"the token's user (sub) is longer than {limits.ID} characters")
    if not isinstance(roles, list):
        raise InvalidTokenError("the token carries no roles")
    return User(id=subject, roles=parse_roles(roles))


def parse_dev_user(value: str) -> User:
    """`GATEWAY_DEV_USER`, as "user:role1,role2"."""
    user, _, roles = value.partition(":")
    if not user.strip():
        raise InvalidTokenError(f"GATEWAY_DEV_USER must look like 'dev:admin', got {value!r}")
    return User(id=user.strip(), roles=parse_roles(roles.split(",")))


def require_role(identity: Identity, allowed: frozenset[str], action: str) -> None:
    if not identity.roles & allowed:
        raise DomainError(ErrorCode.PERMISSION_DENIED, f"{action} needs one of the roles {', '.join(sorted(allowed))}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m gateway.auth")
    commands = parser.add_subparsers(dest="command", required=True)
    issue_parser = commands.add_parser("issue", help="print a signed bearer token")
    issue_parser.add_argument("--user", required=True)
    issue_parser.add_argument("--roles", required=True, help="comma-separated, e.g. supervisor,finance")
    issue_parser.add_argument("--hours", type=float, default=12.0)
    args = parser.parse_args(argv)
    settings = Settings.from_env("gateway")
    if not settings.jwt_secret:
        parser.error("JWT_SECRET is not set")
    try:
        user = User(id=args.user, roles=parse_roles(args.roles.split(",")))
    except InvalidTokenError as error:
        parser.error(str(error))
    print(issue(user, settings.jwt_secret, timedelta(hours=args.hours)))


if __name__ == "__main__":
    main()

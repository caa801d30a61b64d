"""Tokens, the caller (`/me`) and users."""

from __future__ import annotations

from typing import Any

from flask import g, request
from flask.views import MethodView
from sqlalchemy import or_, select

from catalog.groups.models import group_members
from servicedesk import access, db
from servicedesk.auth import current_user, issue_token
from servicedesk.blueprint import Blueprint
from servicedesk.db import utcnow
from servicedesk.errors import NotFound, Unauthenticated
from servicedesk.pagination import SortKey, paginate
from servicedesk.search import contains
from servicedesk.users import operations, throttle
from servicedesk.users.models import ApiToken, User
from servicedesk.users.passwords import hash_password, needs_rehash, verify_password
from servicedesk.users.schemas import (
    MeOut,
    TokenCreated,
    TokenInfo,
    TokenRequest,
    UserCreate,
    UserListArgs,
    UserOut,
    UserPage,
    UserPatch,
)

auth_blp = Blueprint("auth", __name__, url_prefix="/auth", description="API tokens")
users_blp = Blueprint("users", __name__, url_prefix="", description="Users and the caller")


@auth_blp.route("/tokens")
class Tokens(MethodView):
    @auth_blp.arguments(TokenRequest)
    @auth_blp.response(201, TokenCreated)
    @auth_blp.doc(security=[])
    def post(self, data: dict[str, Any]) -> tuple[dict[str, Any], int, dict[str, str]]:
        """Exchange e-mail and password for a personal bearer token (shown once).

        It expires after TOKEN_LIFETIME_DAYS (30 by default). Guessing is throttled per
        account and address, per address, and slowed down per account (429, Retry-After).
        """
        sess = db.session()
        address = request.remote_addr or ""
        throttle.begin_attempt(sess, data["email"], address)
        user = operations.find_user_by_email(sess, data["email"])
        ok = verify_password(user.password_hash if user else None, data["password"])
        if user is None or not ok or not user.active:
            raise Unauthenticated("The e-mail or the password is wrong.", code="bad_credentials")
        throttle.succeeded(sess, data["email"], address)
        if user.password_hash and needs_rehash(user.password_hash):
            user.password_hash = hash_password(data["password"])
        token, plain = issue_token(sess, user, name=data["name"])
        body = {"id": token.id, "token": plain, "prefix": token.prefix}
        body["expires_at"] = token.expires_at
        # The token is a password: no cache, shared or private, may keep the answer.
        return body, 201, {"Cache-Control": "no-store", "Pragma": "no-cache"}

    @auth_blp.response(200, TokenInfo(many=True))
    def get(self) -> list[dict[str, Any]]:
        """The caller's usable tokens (not revoked, not expired), with their last use."""
        now = utcnow()
        tokens = db.session().scalars(
            select(ApiToken)
            .where(
                ApiToken.user_id == current_user().id,
                ApiToken.revoked_at.is_(None),
                or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > now),
            )
            .order_by(ApiToken.id)
        )
        return [
            {
                **{
                    c: getattr(t, c)
                    for c in (
                        "id", "prefix", "name", "kind", "created_at", "last_used_at", "expires_at"
                    )
                },
                "current": t.id == g.token.id,
            }
            for t in tokens
        ]


@auth_blp.route("/tokens/<int:token_id>")
class TokenById(MethodView):
    @auth_blp.response(204)
    def delete(self, token_id: int) -> None:
        """Revoke one of the caller's tokens (the current one logs out)."""
        token = db.session().scalar(
            select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == current_user().id)
        )
        if token is None or token.revoked_at is not None:
            raise NotFound(f"No token {token_id}.")
        token.revoked_at = utcnow()


@users_blp.route("/me")
class Me(MethodView):
    @users_blp.response(200, MeOut)
    def get(self) -> dict[str, Any]:
        """The caller: role, organisation, provider, groups."""
        user = current_user()
        sess = db.session()
        group_ids = list(
            sess.scalars(select(group_members.c.group_id).where(group_members.c.user_id == user.id))
        )
        managed = list(sess.scalars(access.managed_organisation_ids(user)))
        out = UserOut().dump(user)
        return {**out, "group_ids": group_ids, "managed_organisation_ids": managed}


@users_blp.route("/users")
class Users(MethodView):
    @users_blp.arguments(UserListArgs, location="query")
    @users_blp.response(200, UserPage)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Users the caller may see: staff all, a customer contact their organisation's."""
        user = current_user()
        stmt = select(User).where(access.user_scope(user))
        if "role" in args:
            stmt = stmt.where(User.role == args["role"].value)
        if "organisation_id" in args:
            stmt = stmt.where(User.organisation_id == args["organisation_id"])
        if "q" in args:
            q = args["q"]
            stmt = stmt.where(or_(contains(User.email, q), contains(User.name, q)))
        items, cursor = paginate(
            db.session(),
            stmt,
            SortKey(User.id, User.id, descending=False),
            args["limit"],
            args["cursor"],
        )
        return {"items": items, "next_cursor": cursor}

    @users_blp.arguments(UserCreate)
    @users_blp.response(201, UserOut)
    def post(self, data: dict[str, Any]) -> User:
        """Create a user (admin)."""
        access.require_admin(current_user())
        return operations.create_user(db.session(), **data)


def _visible_user(user_id: int) -> User:
    user = db.session().scalar(
        select(User).where(User.id == user_id, access.user_scope(current_user()))
    )
    if user is None:
        raise NotFound(f"No user {user_id}.")
    return user


@users_blp.route("/users/<int:user_id>")
class UserById(MethodView):
    @users_blp.response(200, UserOut)
    def get(self, user_id: int) -> User:
        """One user."""
        return _visible_user(user_id)

    @users_blp.arguments(UserPatch)
    @users_blp.response(200, UserOut)
    def patch(self, data: dict[str, Any], user_id: int) -> User:
        """Change a user (admin): role, organisation, provider, activity, password."""
        user = _visible_user(user_id)
        access.require_admin(current_user())
        return operations.update_user(db.session(), user, data)

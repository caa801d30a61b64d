"""Reads on canned replies."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from catalog.groups.models import group_members
from servicedesk.canned.models import CannedReply
from servicedesk.enums import Role
from servicedesk.users.models import User


def for_agent_stmt(user: User) -> Select[Any]:
    """Active replies of the user's resolver groups plus the global ones, by title."""
    own_groups = select(group_members.c.group_id).where(group_members.c.user_id == user.id)
    return (
        select(CannedReply)
        .where(
            CannedReply.active.is_(True),
            CannedReply.group_id.is_(None) | CannedReply.group_id.in_(own_groups),
        )
        .order_by(CannedReply.title, CannedReply.id)
    )


def for_agent(sess: Session, user: User) -> list[CannedReply]:
    """The replies an agent may start from (what the reply box offers)."""
    return list(sess.scalars(for_agent_stmt(user)))


def all_replies(sess: Session) -> list[CannedReply]:
    """Every reply, active or not: the admin's list."""
    return list(sess.scalars(select(CannedReply).order_by(CannedReply.title, CannedReply.id)))


def usable(sess: Session, user: User, reply_id: int) -> CannedReply | None:
    """One active reply `user` may use: any for an admin, else one of `for_agent`'s."""
    if user.role_enum is Role.ADMIN:
        stmt = select(CannedReply).where(CannedReply.active.is_(True))
    else:
        stmt = for_agent_stmt(user)
    return sess.scalar(stmt.where(CannedReply.id == reply_id))

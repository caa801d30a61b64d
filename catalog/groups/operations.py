"""Writes on resolver groups and their membership."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from catalog.groups.models import ResolverGroup, group_members
from servicedesk.access import is_joint_desk
from servicedesk.enums import Role
from servicedesk.errors import Conflict, ValidationFailed
from servicedesk.users.models import User


def member_ids(sess: Session, group_id: int) -> list[int]:
    return list(
        sess.scalars(
            select(group_members.c.user_id)
            .where(group_members.c.group_id == group_id)
            .order_by(group_members.c.user_id)
        )
    )


def create_group(sess: Session, **data: Any) -> ResolverGroup:
    if sess.scalar(select(ResolverGroup).where(ResolverGroup.code == data["code"])):
        raise Conflict(f"A group with code {data['code']} exists already.", code="code_taken")
    group = ResolverGroup(**{**data, "provider": str(data["provider"])})
    sess.add(group)
    sess.flush()
    return group


def set_members(sess: Session, group: ResolverGroup, user_ids: list[int]) -> list[int]:
    """Replace the membership; members are agents of the group's provider, joint-desk agents
    of either provider (the first line triages both), or admins."""
    wanted = sorted(set(user_ids))
    users = {u.id: u for u in sess.scalars(select(User).where(User.id.in_(wanted)))}
    problems = []
    for uid in wanted:
        user = users.get(uid)
        if user is None:
            problems.append(f"No user {uid}.")
        elif user.role == Role.ADMIN.value:
            continue
        elif user.role != Role.AGENT.value or (
            user.provider != group.provider and not is_joint_desk(user)
        ):
            problems.append(f"User {uid} is not an agent of {group.provider}.")
    if problems:
        raise ValidationFailed(
            "Some users cannot join this group.", details={"fields": {"user_ids": problems}}
        )
    sess.execute(delete(group_members).where(group_members.c.group_id == group.id))
    if wanted:
        sess.execute(insert(group_members), [{"group_id": group.id, "user_id": u} for u in wanted])
    sess.flush()
    return wanted

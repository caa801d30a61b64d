"""cache generation: the token that names the state of the near-static tables

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 05:50:00

Each process keeps calendars, promise lines, routing rules and the gate's inputs
(`servicedesk/cache.py`) under this token; a change to any of those tables writes a new
token in its own transaction, so every worker's next request reloads.
"""

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    table = op.create_table(
        "cache_generation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cache_generation")),
    )
    op.bulk_insert(table, [{"id": 1, "token": uuid.uuid4().hex}])


def downgrade() -> None:
    op.drop_table("cache_generation")

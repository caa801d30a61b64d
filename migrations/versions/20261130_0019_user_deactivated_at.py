"""user deactivated at: when a customer's account was deactivated, for per-user charges

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-30 19:00:00

A per-user-per-month price counted the accounts active when the statement was made, so a
statement for a past quarter charged this month's users for every month of it. With the
creation instant (kept already) and this one, each month counts the accounts that existed in
it. Accounts deactivated before this revision have no instant and count in no month, as
before (their deactivation day is not known).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A nullable column: added in place on both databases, no table rebuilt.
    op.add_column("users", sa.Column("deactivated_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("deactivated_at")

"""end users and e-mail: attachments, incoming mail, threaded HTML outbox, ratings, feedback promises

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 09:00:00

Attachments keep their bytes in the database (`attachment_blobs`), so every web node
sees them and a backup holds them. `inbound_mail` keeps every received message with its
raw bytes and outcome (quarantine included), unique by Message-ID. The outbox learns
HTML parts and threading headers; tickets learn the requester's rating and the
Message-ID of the e-mail that opened them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _instant() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("comment_id", sa.Integer(), nullable=True),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("internal", sa.Boolean(), nullable=False),
        sa.Column("created_at", _instant(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_attachments_ticket_id_tickets")
        ),
        sa.ForeignKeyConstraint(
            ["comment_id"],
            ["ticket_comments.id"],
            name=op.f("fk_attachments_comment_id_ticket_comments"),
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"], ["users.id"], name=op.f("fk_attachments_uploaded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachments")),
    )
    op.create_index(op.f("ix_attachments_ticket_id"), "attachments", ["ticket_id"])
    op.create_index(op.f("ix_attachments_comment_id"), "attachments", ["comment_id"])
    op.create_table(
        "attachment_blobs",
        sa.Column("attachment_id", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["attachment_id"],
            ["attachments.id"],
            name=op.f("fk_attachment_blobs_attachment_id_attachments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("attachment_id", name=op.f("pk_attachment_blobs")),
    )
    op.create_table(
        "inbound_mail",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dedup_key", sa.String(length=250), nullable=False),
        sa.Column("message_id", sa.String(length=250), nullable=True),
        sa.Column("sender", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("received_at", _instant(), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("outcome", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("comment_id", sa.Integer(), nullable=True),
        sa.Column("processed_at", _instant(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "outcome IN ('ticket', 'comment', 'auto_answer', 'ignored', 'quarantined')",
            name=op.f("ck_inbound_mail_outcome"),
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_inbound_mail_ticket_id_tickets")
        ),
        sa.ForeignKeyConstraint(
            ["comment_id"],
            ["ticket_comments.id"],
            name=op.f("fk_inbound_mail_comment_id_ticket_comments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_mail")),
        sa.UniqueConstraint("dedup_key", name=op.f("uq_inbound_mail_dedup_key")),
    )
    op.create_index("ix_inbound_mail_sender_received", "inbound_mail", ["sender", "received_at"])
    op.create_index("ix_inbound_mail_outcome", "inbound_mail", ["outcome"])
    op.create_index(op.f("ix_inbound_mail_ticket_id"), "inbound_mail", ["ticket_id"])
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("html_body", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("message_id", sa.String(length=250), nullable=True))
        batch_op.add_column(sa.Column("in_reply_to", sa.String(length=250), nullable=True))
        batch_op.add_column(sa.Column("references_header", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("auto_submitted", sa.String(length=20), nullable=True))
        batch_op.create_unique_constraint(op.f("uq_outbox_message_id"), ["message_id"])
    with op.batch_alter_table("service_promises", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ticket_type", sa.String(length=20), nullable=True))
        batch_op.create_check_constraint(
            op.f("ck_service_promises_ticket_type"),
            "ticket_type IS NULL OR ticket_type = 'feedback'",
        )
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rating", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("rating_comment", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("rated_at", _instant(), nullable=True))
        batch_op.add_column(sa.Column("mail_message_id", sa.String(length=250), nullable=True))
        batch_op.create_check_constraint(
            op.f("ck_tickets_rating"), "rating IS NULL OR (rating >= 1 AND rating <= 5)"
        )
        batch_op.create_index(op.f("ix_tickets_mail_message_id"), ["mail_message_id"])


def downgrade() -> None:
    with op.batch_alter_table("service_promises", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_service_promises_ticket_type"), type_="check")
        batch_op.drop_column("ticket_type")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index(op.f("ix_tickets_mail_message_id"))
        batch_op.drop_constraint(op.f("ck_tickets_rating"), type_="check")
        batch_op.drop_column("mail_message_id")
        batch_op.drop_column("rated_at")
        batch_op.drop_column("rating_comment")
        batch_op.drop_column("rating")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("uq_outbox_message_id"), type_="unique")
        batch_op.drop_column("auto_submitted")
        batch_op.drop_column("references_header")
        batch_op.drop_column("in_reply_to")
        batch_op.drop_column("message_id")
        batch_op.drop_column("html_body")
    op.drop_index(op.f("ix_inbound_mail_ticket_id"), table_name="inbound_mail")
    op.drop_index("ix_inbound_mail_outcome", table_name="inbound_mail")
    op.drop_index("ix_inbound_mail_sender_received", table_name="inbound_mail")
    op.drop_table("inbound_mail")
    op.drop_table("attachment_blobs")
    op.drop_index(op.f("ix_attachments_comment_id"), table_name="attachments")
    op.drop_index(op.f("ix_attachments_ticket_id"), table_name="attachments")
    op.drop_table("attachments")

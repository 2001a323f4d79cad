"""delivery, templates, broadcasts, board, webhooks

Revision ID: notifications_0002
Revises: notifications_0001
Create Date: 2026-11-22 21:49:47.683519
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "notifications_0002"
down_revision: str | Sequence[str] | None = "notifications_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notif_board_items",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("cause_id", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("area_code", sa.String(length=12), nullable=False),
        sa.Column("org_unit_id", sa.String(length=64), nullable=True),
        sa.Column("member_id", sa.String(length=64), nullable=True),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notif_board_items")),
        sa.UniqueConstraint("cause_id", name=op.f("uq_notif_board_items_cause_id")),
    )
    with op.batch_alter_table("notif_board_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notif_board_items_area_code"), ["area_code"], unique=False
        )

    op.create_table(
        "notif_broadcasts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("org_unit_id", sa.String(length=64), nullable=False),
        sa.Column("area_code", sa.String(length=12), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("channels", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("cursor", sa.String(length=64), nullable=True),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notif_broadcasts")),
    )
    with op.batch_alter_table("notif_broadcasts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notif_broadcasts_area_code"), ["area_code"], unique=False
        )

    op.create_table(
        "notif_contacts",
        sa.Column("recipient_id", sa.String(length=100), nullable=False),
        sa.Column("recipient_kind", sa.String(length=16), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=True),
        sa.Column("org_unit_id", sa.String(length=64), nullable=True),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("public_name_consent", sa.Boolean(), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("recipient_id", name=op.f("pk_notif_contacts")),
    )
    op.create_table(
        "notif_members",
        sa.Column("member_id", sa.String(length=64), nullable=False),
        sa.Column("org_unit_id", sa.String(length=64), nullable=False),
        sa.Column("duties", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_notif_members")),
    )
    with op.batch_alter_table("notif_members", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notif_members_org_unit_id"), ["org_unit_id"], unique=False
        )

    op.create_table(
        "notif_notifications",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("cause_id", sa.String(length=80), nullable=False),
        sa.Column("recipient_id", sa.String(length=100), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("recipient_kind", sa.String(length=16), nullable=False),
        sa.Column("rule", sa.String(length=64), nullable=False),
        sa.Column("template_key", sa.String(length=64), nullable=False),
        sa.Column("context", sa.JSON(), nullable=False),
        sa.Column("critical", sa.Boolean(), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("area_code", sa.String(length=12), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("broadcast_id", sa.String(length=36), nullable=True),
        sa.Column("webhook_id", sa.String(length=36), nullable=True),
        sa.Column("payload", sa.LargeBinary(), nullable=True),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notif_notifications")),
        sa.UniqueConstraint(
            "cause_id", "recipient_id", "channel", name="uq_notif_notifications_key"
        ),
    )
    with op.batch_alter_table("notif_notifications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notif_notifications_broadcast_id"), ["broadcast_id"], unique=False
        )
        batch_op.create_index(
            "ix_notif_notifications_due",
            ["next_attempt_at"],
            unique=False,
            postgresql_where=sa.text("status IN ('pending', 'retrying')"),
            sqlite_where=sa.text("status IN ('pending', 'retrying')"),
        )
        batch_op.create_index(
            "ix_notif_notifications_recipient", ["recipient_id", "channel", "sent_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_notif_notifications_request_id"), ["request_id"], unique=False
        )

    op.create_table(
        "notif_preferences",
        sa.Column("recipient_id", sa.String(length=100), nullable=False),
        sa.Column("opted_out", sa.JSON(), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("recipient_id", name=op.f("pk_notif_preferences")),
    )
    op.create_table(
        "notif_sms_sink",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=True),
        sa.Column("to_masked", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("segments", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notif_sms_sink")),
    )
    op.create_table(
        "notif_templates",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", "locale", "version", name=op.f("pk_notif_templates")),
    )
    op.create_table(
        "notif_webhooks",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("event_types", sa.JSON(), nullable=False),
        sa.Column("area_code", sa.String(length=12), nullable=False),
        sa.Column("sealed_secret", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("paused_reason", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notif_webhooks")),
    )


def downgrade() -> None:
    op.drop_table("notif_webhooks")
    op.drop_table("notif_templates")
    op.drop_table("notif_sms_sink")
    op.drop_table("notif_preferences")
    with op.batch_alter_table("notif_notifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notif_notifications_request_id"))
        batch_op.drop_index("ix_notif_notifications_recipient")
        batch_op.drop_index(
            "ix_notif_notifications_due",
            postgresql_where=sa.text("status IN ('pending', 'retrying')"),
            sqlite_where=sa.text("status IN ('pending', 'retrying')"),
        )
        batch_op.drop_index(batch_op.f("ix_notif_notifications_broadcast_id"))

    op.drop_table("notif_notifications")
    with op.batch_alter_table("notif_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notif_members_org_unit_id"))

    op.drop_table("notif_members")
    op.drop_table("notif_contacts")
    with op.batch_alter_table("notif_broadcasts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notif_broadcasts_area_code"))

    op.drop_table("notif_broadcasts")
    with op.batch_alter_table("notif_board_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notif_board_items_area_code"))

    op.drop_table("notif_board_items")

"""platform: console sign-in with a user name and password

``users.password_hash`` (argon2id, PHC string) and ``users.locked_until`` (UTC: too many failed
passwords); ``sign_in_sessions`` (the SHA-256 of each session cookie, its expiry) and
``sign_in_failures`` (failed passwords of known users, for the lockout window).

Revision ID: 0004_sign_in
Revises: 0003_first_contact
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_sign_in"
down_revision: str | Sequence[str] | None = "0003_first_contact"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("password_hash", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("locked_until", sa.DateTime(), nullable=True))
    op.create_table(
        "sign_in_sessions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_sign_in_sessions_user_id", "sign_in_sessions", ["user_id"])
    op.create_table(
        "sign_in_failures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_sign_in_failures_user_id", "sign_in_failures", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_sign_in_failures_user_id", table_name="sign_in_failures")
    op.drop_table("sign_in_failures")
    op.drop_index("ix_sign_in_sessions_user_id", table_name="sign_in_sessions")
    op.drop_table("sign_in_sessions")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("locked_until")
        batch_op.drop_column("password_hash")

-- 130_user_export: a person's own data export (GET /api/v1/users/me/export)
-- reads their messages by author; without this index it would read every
-- message of the instance.
CREATE INDEX messages_author ON messages (author_id, id) WHERE deleted_at IS NULL;

-- 106_images.sql: what PlexiChat derives from uploaded images, and
-- avatars. Derived bytes are objects of the file store like any upload
-- (named by their own SHA-256); these rows say which object is what.
-- One file_images row per original image content (its sha256), so a
-- second upload of the same bytes reuses the first one's derivatives:
--   clean    the image as served: the original's pixels, metadata left out
--            (EXIF with GPS, XMP, comments), losslessly;
--   thumb    WebP fitting in 400x400;   preview  WebP fitting in 1280x1280.
-- width and height are the original's as displayed (EXIF orientation
-- applied). The store's clean-up must keep every object named here.
CREATE TABLE file_images (
	sha256         text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
	width          integer NOT NULL CHECK (width > 0),
	height         integer NOT NULL CHECK (height > 0),
	clean          text NOT NULL CHECK (clean ~ '^[0-9a-f]{64}$'),
	clean_size     bigint NOT NULL,
	thumb          text NOT NULL CHECK (thumb ~ '^[0-9a-f]{64}$'),
	thumb_width    integer NOT NULL,
	thumb_height   integer NOT NULL,
	preview        text NOT NULL CHECK (preview ~ '^[0-9a-f]{64}$'),
	preview_width  integer NOT NULL,
	preview_height integer NOT NULL,
	created_at     timestamptz NOT NULL DEFAULT now()
);

-- A user's avatar: two square WebP objects (256 and 64 pixels).
CREATE TABLE user_avatars (
	user_id    bigint PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
	large      text NOT NULL CHECK (large ~ '^[0-9a-f]{64}$'),
	small      text NOT NULL CHECK (small ~ '^[0-9a-f]{64}$'),
	updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX user_avatars_large ON user_avatars (large);
CREATE INDEX user_avatars_small ON user_avatars (small);

-- The URL of a user's avatar (null without one); ?v= changes with the
-- picture, so clients may cache one URL for good. &size=64 for the small one.
CREATE FUNCTION px_avatar_url(uid bigint) RETURNS text LANGUAGE sql STABLE AS $$
  SELECT '/api/v1/users/' || a.user_id || '/avatar?v=' || left(a.large, 16)
  FROM user_avatars a WHERE a.user_id = uid
$$;

-- File JSON gains thumbnail_url and preview_url: set for images whose
-- derivatives exist (width is recorded with them), null otherwise.
CREATE OR REPLACE FUNCTION px_file_json(f files) RETURNS json LANGUAGE sql STABLE AS $$
  SELECT json_build_object('id', f.id, 'name', f.name, 'type', f.detected_type,
    'declared_type', f.declared_type, 'size', f.size, 'sha256', f.sha256,
    'channel_id', f.channel_id, 'owner_id', f.owner_id, 'state', f.state,
    'width', f.width, 'height', f.height, 'created_at', f.created_at,
    'url', '/api/v1/files/' || f.id || '/content',
    'thumbnail_url', CASE WHEN f.width IS NOT NULL
                          THEN '/api/v1/files/' || f.id || '/thumbnail' END,
    'preview_url', CASE WHEN f.width IS NOT NULL
                        THEN '/api/v1/files/' || f.id || '/thumbnail?size=preview' END)
$$;

-- Member lists carry each member's avatar_url.
CREATE OR REPLACE FUNCTION px_member_json(ch bigint, uid bigint) RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT px_user_json(uid)::jsonb || jsonb_build_object('role', m.role, 'joined_at', m.joined_at,
    'presence', CASE WHEN p.last_active_at > now() - interval '5 minutes' THEN 'online'
                     WHEN p.last_seen_at > now() - interval '5 minutes' THEN 'away'
                     ELSE 'offline' END,
    'last_seen_at', p.last_seen_at, 'avatar_url', px_avatar_url(uid))
  FROM channel_members m LEFT JOIN user_presence p ON p.user_id = m.user_id
  WHERE m.channel_id = ch AND m.user_id = uid
$$;

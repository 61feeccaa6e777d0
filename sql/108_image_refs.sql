-- 108_image_refs.sql: the file store's upkeep asks, per object, whether
-- any row still names it (model/files.c px_m_files_object_refs); the
-- derivatives of images are named in file_images, so they are indexed
-- like the avatars' objects (106_images.sql).
CREATE INDEX file_images_clean ON file_images (clean);
CREATE INDEX file_images_thumb ON file_images (thumb);
CREATE INDEX file_images_preview ON file_images (preview);

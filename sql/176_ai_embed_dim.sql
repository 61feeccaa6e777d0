-- 176_ai_embed_dim: embeddings from a provider other than the built-in one
-- (ai_embed_provider, docs/AI.md) have their own dimension, so every vector
-- records it beside its model; ask compares a question only with vectors of
-- the same model and dimension. The rows stored before are the built-in
-- provider's 256 components. The check is NOT VALID so that adding it does
-- not read the whole table; new and updated rows are checked.
ALTER TABLE ai_embeddings ADD COLUMN dim integer NOT NULL DEFAULT 256;
ALTER TABLE ai_embeddings ALTER COLUMN dim DROP DEFAULT;
ALTER TABLE ai_embeddings ADD CONSTRAINT ai_embeddings_dim CHECK (dim = length(vec)) NOT VALID;
-- Which models a channel's vectors have (the embedding worker's sweep),
-- and whether the asker's channels hold any of a provider's, without
-- reading every vector of a channel.
CREATE INDEX ai_embeddings_model ON ai_embeddings (model, channel_id);

-- 141_ai_ann: a change number on every stored vector, for the approximate
-- index of ask (a file rebuilt from these rows, docs/AI.md). The index
-- records the highest number it holds; ask searches the vectors numbered
-- above it exactly. Rows stored before this migration keep NULL (older
-- than any index). The embedding store takes advisory lock 7243141 shared
-- and the index builder takes it exclusively while it reads that highest
-- number, so no row below the number can commit after the builder's
-- snapshot.
CREATE SEQUENCE ai_embeddings_seq;
-- two steps, so that the existing rows are not rewritten
ALTER TABLE ai_embeddings ADD COLUMN seq bigint;
ALTER TABLE ai_embeddings ALTER COLUMN seq SET DEFAULT nextval('ai_embeddings_seq');
CREATE INDEX ai_embeddings_by_seq ON ai_embeddings (seq);

# handlers/auth.mk: the auth area's core, model, handler and test sources (owned by that area's work).

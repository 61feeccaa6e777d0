# handlers/web.mk: the web area's core, model, handler and test sources (owned by that area's work).

# handlers/msg.mk: the msg area's core, model, handler and test sources (owned by that area's work).

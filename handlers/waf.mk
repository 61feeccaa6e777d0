# handlers/waf.mk: the WAF area's model and handler sources (owned by the WAF
# work; core/waf.mk holds the engine, which is included before model/).
libmodel_a_SOURCES += model/waf.c model/waf.h
libhandlers_a_SOURCES += handlers/admin_waf.c handlers/admin_waf.h

# core/waf.mk: the WAF modules, its tests, fuzzers and benchmarks (owned by the WAF work).

# bench/: benchmark programs (built with `make`, not installed).
noinst_PROGRAMS = bench/hello
bench_hello_SOURCES = bench/hello.c
bench_hello_LDADD = $(FCGI_LIBS)

# bench/: benchmark programs (built with `make`, not installed).
noinst_PROGRAMS = bench/hello
bench_hello_SOURCES = bench/hello.c
bench_hello_LDADD = $(FCGI_LIBS)
# thumb_bench: image work through handlers/files_image.c (bench/thumb-bench.sh).
noinst_PROGRAMS += bench/thumb_bench
bench_thumb_bench_SOURCES = bench/thumb_bench.c
bench_thumb_bench_LDADD = libhandlers.a libmodel.a libai.a libstorage.a $(PLUGIN_LIBS) $(CORE_LIBS) \
	$(VIPS_LIBS)
# plugins_bench: hook costs of in-process and process plugins (bench/plugins-bench.sh).
noinst_PROGRAMS += bench/plugins_bench
bench_plugins_bench_SOURCES = bench/plugins_bench.c
bench_plugins_bench_LDADD = $(PLUGIN_LIBS) $(CORE_LIBS)
# ws_fanout: WebSocket delivery latency to many sockets (bench/ws-bench.sh).
noinst_PROGRAMS += bench/ws_fanout
bench_ws_fanout_SOURCES = bench/ws_fanout.c bench/ws_frame.h
bench_ws_fanout_LDADD = -lpthread
# ai_bench: recall of the stored vectors and the provider client's overhead
# (bench/ai-bench.sh).
noinst_PROGRAMS += bench/ai_bench
bench_ai_bench_SOURCES = bench/ai_bench.c
bench_ai_bench_LDADD = libai.a $(CORE_LIBS)
# ai_ann_bench: recall@10 of ask's approximate index against the exact scan
# (bench/ai-bench.sh).
noinst_PROGRAMS += bench/ai_ann_bench
bench_ai_ann_bench_SOURCES = bench/ai_ann_bench.c
bench_ai_ann_bench_LDADD = libai.a $(CORE_LIBS)
# workload: simulated users over HTTP through the web server, ramped until
# the p99 of their actions passes 200 ms (bench/workload.sh).
noinst_PROGRAMS += bench/workload
bench_workload_SOURCES = bench/workload.c bench/wl_procs.c bench/wl_procs.h bench/wl_http.c \
	bench/wl_http.h
bench_workload_LDADD = -lm
# peer_fanout: one room, 1,000 members, over XMPP (ejabberd) or SSE
# (PlexiChat), by the same client (bench/peer-bench.sh).
noinst_PROGRAMS += bench/peer_fanout
bench_peer_fanout_SOURCES = bench/peer_fanout.c bench/ws_frame.h
# upload_sink: files-bench.sh's upload floor, a bare libfcgi responder that
# writes the request body to a file and fsyncs it (the same socket path).
noinst_PROGRAMS += bench/upload_sink
bench_upload_sink_SOURCES = bench/upload_sink.c
bench_upload_sink_LDADD = $(FCGI_LIBS)
